#pragma once
// The protobuf wire format (protobuf.dev, "Encoding"), read strictly and written
// minimally, for the Hrana protobuf codecs. Hand-written rather than libprotobuf:
// the gate extracts a handful of fields, forwards the client's original bytes, and
// must refuse what the stock decoders would read differently — a generated parser
// is lenient where we must be strict (groups, truncating int32, last-wins
// duplicates) and would add code generation and a dependency for that.
//
// The reader splits one message into its fields and checks only the wire format:
// every tag valid (field number 1..2^29-1, wire type 0, 1, 2 or 5), every varint at
// most 10 bytes and within 64 bits, every length inside the message. Groups (wire
// types 3 and 4) are refused: proto3 has none and no Hrana peer sends them.
// Non-canonical (overlong) varints are accepted: they decode to the same value in
// every reader, so they cannot make the gate and upstream disagree.
// Sub-messages are split on demand by the caller, which bounds recursion itself
// (kMaxNesting).
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gate::proxy::protobuf {

enum class WireType : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

// How deep the recursive Hrana structures (batch conditions) may nest.
inline constexpr int kMaxNesting = 64;

enum class WireError {
  truncated,             // the message ends inside a field
  varint_too_long,       // more than 10 bytes, or beyond 64 bits
  invalid_field_number,  // 0 or above 2^29-1
  invalid_wire_type,     // 6 or 7
  group,                 // wire type 3 or 4
  wrong_wire_type,       // a known field with another wire type than its schema's
  duplicate_field,       // a non-repeated known field more than once
};
std::string_view to_string(WireError error);

struct Field {
  std::uint32_t number = 0;
  WireType type = WireType::varint;
  std::uint64_t value = 0;  // varint, fixed64, fixed32
  std::string_view bytes;   // length_delimited: the payload
  std::string_view raw;     // the whole field as written (tag included), to copy it unchanged
};

struct FieldError {
  WireError error = WireError::truncated;
  std::uint32_t number = 0;  // the field concerned, when known
};

// Splits `message` into its fields in wire order.
std::optional<FieldError> split_fields(std::string_view message, std::vector<Field>& fields);

// What a reader knows of one field of a message type.
struct KnownField {
  std::uint32_t number;
  WireType type;
  bool repeated = false;
};

// One message split and checked against its schema: each known field has its
// schema's wire type and, unless repeated, appears at most once. Unknown fields
// are skipped (spec: peers ignore unrecognized fields). A duplicated singular field
// is refused, although protobuf lets the last value win (and merges messages):
// the gate would otherwise have to reproduce upstream's merge exactly to be sure
// it authorizes what upstream runs.
class Message {
 public:
  std::optional<FieldError> parse(std::string_view bytes, std::span<const KnownField> known);
  std::optional<FieldError> parse(std::string_view bytes, std::initializer_list<KnownField> known) {
    return parse(bytes, std::span<const KnownField>(known.begin(), known.size()));
  }

  // The field `number`, or null when absent.
  const Field* find(std::uint32_t number) const;
  // Every occurrence of the repeated field `number`, in order.
  std::vector<const Field*> all(std::uint32_t number) const;
  // Every field, in wire order.
  const std::vector<Field>& fields() const { return fields_; }
  // The members of a oneof that are present.
  std::vector<const Field*> present(std::initializer_list<std::uint32_t> numbers) const;

 private:
  std::vector<Field> fields_;
};

// A varint at `pos`; advances `pos`. nullopt (pos unchanged) when `bytes` ends
// first or the varint is invalid; `error` tells which.
std::optional<std::uint64_t> read_varint(std::string_view bytes, std::size_t& pos, WireError& error);

// Scalar views of a varint, refusing what would be truncated. int32 accepts the
// 10-byte sign extension protobuf specifies and the 5-byte 32-bit form that
// @libsql/hrana-client writes for negative numbers (both read as the same int32 by
// prost's truncating cast); anything else above 32 bits is refused, since prost
// would read it truncated while the gate read it whole.
std::optional<std::int32_t> to_int32(std::uint64_t value);
std::optional<std::uint32_t> to_uint32(std::uint64_t value);

// Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF), as Rust's str::from_utf8 in upstream's decoder.
bool valid_utf8(std::string_view text);

// Writing. Fields are appended to `out`.
void put_varint(std::string& out, std::uint64_t value);
void put_varint_field(std::string& out, std::uint32_t number, std::uint64_t value);
void put_int32_field(std::string& out, std::uint32_t number, std::int32_t value);  // 10-byte sign extension
void put_bytes_field(std::string& out, std::uint32_t number, std::string_view bytes);  // strings and messages
// A length-delimited item (a varint length, then the bytes), as in cursor streams.
void put_delimited(std::string& out, std::string_view bytes);

}  // namespace gate::proxy::protobuf
