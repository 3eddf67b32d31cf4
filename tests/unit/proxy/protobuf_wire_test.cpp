#include <doctest/doctest.h>

#include <string>

#include "proxy/protobuf_wire.hpp"

using namespace gate::proxy::protobuf;
using namespace std::string_literals;

namespace {

std::optional<WireError> split_error(const std::string& bytes) {
  std::vector<Field> fields;
  auto error = split_fields(bytes, fields);
  return error ? std::optional<WireError>(error->error) : std::nullopt;
}

std::string varint(std::uint64_t value) {
  std::string out;
  put_varint(out, value);
  return out;
}

}  // namespace

TEST_CASE("wire: fields of every supported wire type are split in order") {
  std::string message;
  put_varint_field(message, 1, 150);
  put_bytes_field(message, 2, "testing");
  message += "\x19"s + "\x01\x02\x03\x04\x05\x06\x07\x08"s;  // field 3, fixed64
  message += "\x25"s + "\x0a\x0b\x0c\x0d"s;                  // field 4, fixed32
  std::vector<Field> fields;
  REQUIRE_FALSE(split_fields(message, fields));
  REQUIRE(fields.size() == 4);
  CHECK(fields[0].number == 1);
  CHECK(fields[0].type == WireType::varint);
  CHECK(fields[0].value == 150);
  CHECK(fields[1].type == WireType::length_delimited);
  CHECK(fields[1].bytes == "testing");
  CHECK(fields[2].type == WireType::fixed64);
  CHECK(fields[2].value == 0x0807060504030201u);
  CHECK(fields[3].type == WireType::fixed32);
  CHECK(fields[3].value == 0x0d0c0b0au);
  CHECK(message.substr(0, 3) == "\x08\x96\x01"s);  // the encoding in protobuf.dev's own example
}

TEST_CASE("wire: varints are at most 10 bytes and within 64 bits") {
  std::size_t pos = 0;
  WireError error{};
  CHECK(read_varint(varint(UINT64_MAX), pos, error) == UINT64_MAX);
  CHECK(pos == 10);
  pos = 0;
  CHECK_FALSE(read_varint("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"s, pos, error));
  CHECK(error == WireError::varint_too_long);
  CHECK(pos == 0);
  CHECK_FALSE(read_varint("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"s, pos, error));
  CHECK(error == WireError::varint_too_long);
  CHECK_FALSE(read_varint("\x80\x80"s, pos, error));
  CHECK(error == WireError::truncated);
  // Overlong (non-canonical) forms read as the same value everywhere: accepted.
  CHECK(read_varint("\x81\x80\x00"s, pos, error) == 1);
}

TEST_CASE("wire: malformed messages are refused with the reason") {
  CHECK(split_error("\x08"s) == WireError::truncated);                   // varint field without value
  CHECK(split_error("\x08\x80"s) == WireError::truncated);               // truncated varint value
  CHECK(split_error("\x88"s) == WireError::truncated);                   // truncated tag
  CHECK(split_error("\x12\x05" "abc"s) == WireError::truncated);         // length beyond the message
  CHECK(split_error("\x12\xff\xff\xff\xff\x0f" "abc"s) == WireError::truncated);  // huge length
  CHECK(split_error("\x12\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s) == WireError::truncated);
  CHECK(split_error("\x19\x01\x02"s) == WireError::truncated);           // short fixed64
  CHECK(split_error("\x1d\x01"s) == WireError::truncated);               // short fixed32
  CHECK(split_error("\x0b\x0c"s) == WireError::group);                   // start group
  CHECK(split_error("\x0c"s) == WireError::group);                       // end group
  CHECK(split_error("\x0e\x00"s) == WireError::invalid_wire_type);       // wire type 6
  CHECK(split_error("\x0f\x00"s) == WireError::invalid_wire_type);       // wire type 7
  CHECK(split_error("\x00\x00"s) == WireError::invalid_field_number);    // field 0
  CHECK(split_error(varint((std::uint64_t{1} << 32) | 0) + "\x00"s) == WireError::invalid_field_number);
  CHECK_FALSE(split_error(varint((((std::uint64_t{1} << 29) - 1) << 3)) + "\x00"s));  // the largest number
  CHECK_FALSE(split_error(""));
}

TEST_CASE("wire: a message is checked against its schema, unknown fields skipped") {
  std::string bytes = "\x09"s + std::string(8, '\0');  // field 1 as fixed64, where a string is expected
  Message message;
  auto error = message.parse(bytes, {{1, WireType::length_delimited}});
  REQUIRE(error);
  CHECK(error->error == WireError::wrong_wire_type);
  CHECK(error->number == 1);

  std::string good;
  put_bytes_field(good, 1, "sql");
  put_varint_field(good, 99, 7);
  put_bytes_field(good, 98, "unknown");
  good += "\xf9\x06"s + std::string(8, '\0');  // field 111, fixed64
  good += "\xfd\x06"s + std::string(4, '\0');  // field 111, fixed32
  put_bytes_field(good, 2, "a");
  put_bytes_field(good, 2, "b");
  REQUIRE_FALSE(message.parse(good, {{1, WireType::length_delimited}, {2, WireType::length_delimited, true}}));
  REQUIRE(message.find(1));
  CHECK(message.find(1)->bytes == "sql");
  CHECK(message.find(3) == nullptr);
  REQUIRE(message.all(2).size() == 2);
  CHECK(message.all(2)[1]->bytes == "b");
  CHECK(message.present({1, 2}).size() == 3);
}

TEST_CASE("wire: a singular field twice is refused (protobuf would let the last win)") {
  std::string bytes;
  put_bytes_field(bytes, 1, "SELECT 1");
  put_bytes_field(bytes, 1, "DELETE FROM t");
  Message message;
  auto error = message.parse(bytes, {{1, WireType::length_delimited}});
  REQUIRE(error);
  CHECK(error->error == WireError::duplicate_field);
  CHECK(error->number == 1);
  // Unknown fields may repeat.
  std::string unknown;
  put_varint_field(unknown, 5, 1);
  put_varint_field(unknown, 5, 2);
  CHECK_FALSE(message.parse(unknown, {{1, WireType::length_delimited}}));
}

TEST_CASE("wire: int32 accepts both negative encodings and refuses truncation") {
  CHECK(to_int32(0) == 0);
  CHECK(to_int32(0x7fffffff) == 2147483647);
  CHECK(to_int32(0xffffffffu) == -1);                  // 5-byte form (@libsql/hrana-client)
  CHECK(to_int32(0xffffffffffffffffu) == -1);          // 10-byte sign extension (protobuf)
  CHECK(to_int32(0xffffffff80000000u) == INT32_MIN);
  CHECK_FALSE(to_int32(0x100000000u));                 // prost would read 0
  CHECK_FALSE(to_int32(0x100000005u));                 // prost would read 5
  CHECK_FALSE(to_int32(0xffffffff7fffffffu));
  CHECK(to_uint32(0xffffffffu) == 0xffffffffu);
  CHECK_FALSE(to_uint32(0x100000000u));

  std::string bytes;
  put_int32_field(bytes, 1, -1);
  CHECK(bytes == "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s);
}

TEST_CASE("wire: UTF-8 is validated strictly") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("SELECT 'héllo', '€', '😀'"));
  CHECK(valid_utf8("\xf4\x8f\xbf\xbf"s));   // U+10FFFF
  CHECK_FALSE(valid_utf8("\xff"s));
  CHECK_FALSE(valid_utf8("\xc0\xaf"s));     // overlong '/'
  CHECK_FALSE(valid_utf8("\xe0\x80\xaf"s)); // overlong
  CHECK_FALSE(valid_utf8("\xf0\x80\x80\xaf"s));
  CHECK_FALSE(valid_utf8("\xed\xa0\x80"s)); // surrogate U+D800
  CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"s));  // above U+10FFFF
  CHECK_FALSE(valid_utf8("\xc3"s));         // truncated
  CHECK_FALSE(valid_utf8("\xe2\x82"s));
  CHECK_FALSE(valid_utf8("a\x80"s));        // lone continuation
  CHECK_FALSE(valid_utf8("\xe2\x28\xa1"s)); // bad continuation
}

TEST_CASE("wire: written fields read back") {
  std::string bytes;
  put_int32_field(bytes, 3, -42);
  put_bytes_field(bytes, 4, std::string(300, 'x'));
  std::string delimited;
  put_delimited(delimited, bytes);
  std::size_t pos = 0;
  WireError error{};
  REQUIRE(read_varint(delimited, pos, error) == bytes.size());
  CHECK(delimited.substr(pos) == bytes);
  Message message;
  REQUIRE_FALSE(message.parse(bytes, {{3, WireType::varint}, {4, WireType::length_delimited}}));
  CHECK(to_int32(message.find(3)->value) == -42);
  CHECK(message.find(4)->bytes.size() == 300);
}
