#pragma once
// The Hrana protobuf structures both variants share (Hrana 3 spec, "Protobuf
// schema", package hrana): statements, batches and their conditions, errors. Used
// by the HTTP codec (hrana_protobuf.cpp) and the WebSocket codec
// (hrana_ws_protobuf.cpp), which decode to the same model as the JSON codecs.
//
// Inside the codecs a malformed message is thrown as Malformed (with the path of
// the offending field) and caught at each codec's entry point, where it becomes a
// DecodeError value; nothing throws across the codecs' public functions.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/hrana_json.hpp"  // SqlRef, Error
#include "proxy/protobuf_wire.hpp"

namespace gate::proxy::hrana::protobuf_shared {

using protobuf::Field;
using protobuf::Message;
// The wire types of every field Hrana's messages have.
inline constexpr auto kBytes = protobuf::WireType::length_delimited;
inline constexpr auto kVarint = protobuf::WireType::varint;

struct Malformed {
  std::string message;  // e.g. "requests[0].execute.stmt: exactly one of sql and sql_id is required"
};

// Splits and checks one message (protobuf::Message::parse); throws Malformed.
void parse(protobuf::Message& message, std::string_view bytes, std::span<const protobuf::KnownField> known,
           const std::string& path);
inline void parse(protobuf::Message& message, std::string_view bytes,
                  std::initializer_list<protobuf::KnownField> known, const std::string& path) {
  parse(message, bytes, std::span<const protobuf::KnownField>(known.begin(), known.size()), path);
}

// Field readers; `field` may be null (absent). Throw Malformed on invalid values.
std::optional<std::string> string_of(const protobuf::Field* field, const std::string& path);  // valid UTF-8
std::optional<std::int32_t> int32_of(const protobuf::Field* field, const std::string& path);

// The single member of a oneof that is present (Malformed when none or several).
const protobuf::Field& oneof_member(const protobuf::Message& message, std::initializer_list<std::uint32_t> members,
                                    const std::string& path);

// `sql` / `sql_id` fields of a message, exactly one present (Stmt, sequence, describe).
SqlRef sql_ref(const protobuf::Message& message, std::uint32_t sql_field, std::uint32_t sql_id_field,
               const std::string& path);

// message Stmt, message Batch (its steps' statements, conditions checked).
SqlRef stmt(std::string_view bytes, const std::string& path);
std::vector<SqlRef> batch(std::string_view bytes, const std::string& path);

// message Error.
std::string encode_error(const Error& error);
// Reads message Error leniently (an upstream structure, not authorized on).
std::optional<Error> decode_error(std::string_view bytes);

}  // namespace gate::proxy::hrana::protobuf_shared
