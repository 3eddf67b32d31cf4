#pragma once
// Internal to the JSON codecs (Hrana over HTTP in hrana_json.cpp, over WebSocket in
// hrana_ws_json.cpp): the strict parse and the readers of the structures both
// carry (Stmt, Batch), so the two codecs accept exactly the same statements.
// Readers throw Invalid with the JSON path of the offending value; the codecs
// catch it at their entry points and return a DecodeError.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/hrana_json.hpp"

namespace gate::proxy::hrana::json_reader {

using nlohmann::json;

struct Invalid {
  std::string message;
};

// Nesting allowed in a body: far above what Hrana needs (batch conditions nest
// at most 64 deep, checked by batch()), low enough to bound the parser's stack.
inline constexpr std::size_t kMaxDepth = 128;

// Parses strictly: a duplicated key anywhere is an error, because the gate would
// authorize one value while upstream might act on the other. nullopt with
// `error` set when the text is not valid JSON, repeats a key (named) or nests
// deeper than kMaxDepth.
std::optional<json> parse_strict(std::string_view body, std::string& error);

const json* member(const json& object, const char* name);
bool absent_or_null(const json* value);
void require_object(const json& value, const std::string& path);
// The value of a string member that must be present.
std::string required_string(const json& object, const char* name, const std::string& path);
std::int32_t as_int32(const json& value, const std::string& path);
std::int32_t required_int32(const json& object, const char* name, const std::string& path);
std::optional<std::string> optional_string(const json& object, const char* name, const std::string& path);
std::optional<std::int32_t> optional_int32(const json& object, const char* name, const std::string& path);

// `sql` / `sql_id`, exactly one (Stmt, sequence, describe).
SqlRef sql_ref(const json& object, const std::string& path);
// A Stmt: its SQL reference, with args / named_args / want_rows type-checked.
SqlRef stmt(const json& value, const std::string& path);
// A Batch: one SqlRef per step, conditions checked (bounded nesting).
std::vector<SqlRef> batch(const json& value, const std::string& path);

// Compact serialization; invalid UTF-8 replaced rather than thrown on.
std::string dump(const json& value);

}  // namespace gate::proxy::hrana::json_reader
