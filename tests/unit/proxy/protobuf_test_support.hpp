#pragma once
// Test-side protobuf: a writer to build request messages field by field, and a
// reference reader, written independently of proxy/protobuf_wire so the codec's
// output is checked by other code than the code that wrote it.
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pbtest {

inline std::string varint(std::uint64_t v) {
  std::string out;
  do {
    std::uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (v);
  return out;
}

// A message under construction: chain calls, then take .bytes.
struct Msg {
  std::string bytes;
  Msg& str(std::uint32_t field, std::string_view value) {
    bytes += varint(field << 3 | 2) + varint(value.size());
    bytes.append(value);
    return *this;
  }
  Msg& msg(std::uint32_t field, const Msg& value) { return str(field, value.bytes); }
  Msg& num(std::uint32_t field, std::uint64_t value) {
    bytes += varint(field << 3) + varint(value);
    return *this;
  }
  Msg& raw(std::string_view value) {
    bytes.append(value);
    return *this;
  }
};

inline Msg stmt_sql(std::string_view sql) { return Msg{}.str(1, sql); }
inline Msg stmt_id(std::int32_t id) { return Msg{}.num(2, static_cast<std::uint32_t>(id)); }
// StreamRequest with one member.
inline Msg request(std::uint32_t member, const Msg& inner) { return Msg{}.msg(member, inner); }
inline Msg execute(const Msg& stmt) { return request(2, Msg{}.msg(1, stmt)); }
inline Msg batch_of(const std::vector<Msg>& stmts) {
  Msg batch;
  for (const Msg& s : stmts) batch.msg(1, Msg{}.msg(2, s));
  return batch;
}

// The reference reader: a message as field number -> values in order (varints as
// numbers, length-delimited as bytes). Throws on anything malformed.
struct Value {
  std::uint64_t number = 0;
  std::string bytes;
};
using Fields = std::multimap<std::uint32_t, Value>;

inline std::uint64_t read_varint(std::string_view in, std::size_t& pos) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) throw std::runtime_error("truncated varint");
    const auto b = static_cast<std::uint8_t>(in[pos++]);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw std::runtime_error("varint too long");
}

inline Fields read(std::string_view in) {
  Fields out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    const std::uint64_t tag = read_varint(in, pos);
    Value value;
    switch (tag & 7) {
      case 0: value.number = read_varint(in, pos); break;
      case 2: {
        const std::uint64_t n = read_varint(in, pos);
        if (n > in.size() - pos) throw std::runtime_error("length beyond message");
        value.bytes = std::string(in.substr(pos, n));
        pos += n;
        break;
      }
      default: throw std::runtime_error("unexpected wire type");
    }
    out.emplace(static_cast<std::uint32_t>(tag >> 3), value);
  }
  return out;
}

inline std::vector<std::string> all_bytes(const Fields& fields, std::uint32_t number) {
  std::vector<std::string> out;
  auto [begin, end] = fields.equal_range(number);
  for (auto it = begin; it != end; ++it) out.push_back(it->second.bytes);
  return out;
}

inline std::string one_bytes(const Fields& fields, std::uint32_t number) {
  if (fields.count(number) != 1) throw std::runtime_error("expected exactly one field " + std::to_string(number));
  return fields.find(number)->second.bytes;
}

// Splits a length-delimited stream (cursor responses) into its items.
inline std::vector<std::string> delimited_items(std::string_view in) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    const std::uint64_t n = read_varint(in, pos);
    if (n > in.size() - pos) throw std::runtime_error("item beyond body");
    out.emplace_back(in.substr(pos, n));
    pos += n;
  }
  return out;
}

}  // namespace pbtest
