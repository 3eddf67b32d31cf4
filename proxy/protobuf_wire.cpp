#include "proxy/protobuf_wire.hpp"

#include <algorithm>

namespace gate::proxy::protobuf {

std::string_view to_string(WireError error) {
  switch (error) {
    case WireError::truncated: return "message truncated";
    case WireError::varint_too_long: return "varint longer than 10 bytes or beyond 64 bits";
    case WireError::invalid_field_number: return "invalid field number";
    case WireError::invalid_wire_type: return "invalid wire type";
    case WireError::group: return "groups are not supported";
    case WireError::wrong_wire_type: return "wrong wire type for this field";
    case WireError::duplicate_field: return "field appears more than once";
  }
  return "malformed";
}

std::optional<std::uint64_t> read_varint(std::string_view bytes, std::size_t& pos, WireError& error) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    if (pos + i >= bytes.size()) {
      error = WireError::truncated;
      return std::nullopt;
    }
    const auto byte = static_cast<std::uint8_t>(bytes[pos + i]);
    // The 10th byte holds bit 63 only.
    if (i == 9 && byte > 1) {
      error = WireError::varint_too_long;
      return std::nullopt;
    }
    value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      pos += i + 1;
      return value;
    }
  }
  error = WireError::varint_too_long;
  return std::nullopt;
}

std::optional<FieldError> split_fields(std::string_view message, std::vector<Field>& fields) {
  fields.clear();
  std::size_t pos = 0;
  WireError error = WireError::truncated;
  while (pos < message.size()) {
    const std::size_t start = pos;
    const auto tag = read_varint(message, pos, error);
    if (!tag) return FieldError{error, 0};
    const std::uint64_t number = *tag >> 3;
    if (number == 0 || number > (1u << 29) - 1) return FieldError{WireError::invalid_field_number, 0};
    Field field;
    field.number = static_cast<std::uint32_t>(number);
    const auto wire = static_cast<unsigned>(*tag & 7);
    const auto fixed = [&](std::size_t size) -> bool {
      if (message.size() - pos < size) return false;
      std::uint64_t value = 0;
      for (std::size_t i = 0; i < size; ++i) {
        value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(message[pos + i])) << (8 * i);
      }
      field.value = value;
      pos += size;
      return true;
    };
    switch (wire) {
      case 0: {
        const auto value = read_varint(message, pos, error);
        if (!value) return FieldError{error, field.number};
        field.type = WireType::varint;
        field.value = *value;
        break;
      }
      case 1:
        field.type = WireType::fixed64;
        if (!fixed(8)) return FieldError{WireError::truncated, field.number};
        break;
      case 2: {
        const auto length = read_varint(message, pos, error);
        if (!length) return FieldError{error, field.number};
        if (*length > message.size() - pos) return FieldError{WireError::truncated, field.number};
        field.type = WireType::length_delimited;
        field.bytes = message.substr(pos, static_cast<std::size_t>(*length));
        pos += static_cast<std::size_t>(*length);
        break;
      }
      case 5:
        field.type = WireType::fixed32;
        if (!fixed(4)) return FieldError{WireError::truncated, field.number};
        break;
      case 3:
      case 4: return FieldError{WireError::group, field.number};
      default: return FieldError{WireError::invalid_wire_type, field.number};
    }
    field.raw = message.substr(start, pos - start);
    fields.push_back(field);
  }
  return std::nullopt;
}

std::optional<FieldError> Message::parse(std::string_view bytes, std::span<const KnownField> known) {
  if (auto error = split_fields(bytes, fields_)) return error;
  for (const KnownField& k : known) {
    std::size_t seen = 0;
    for (const Field& field : fields_) {
      if (field.number != k.number) continue;
      if (field.type != k.type) return FieldError{WireError::wrong_wire_type, k.number};
      if (++seen > 1 && !k.repeated) return FieldError{WireError::duplicate_field, k.number};
    }
  }
  return std::nullopt;
}

const Field* Message::find(std::uint32_t number) const {
  auto it = std::find_if(fields_.begin(), fields_.end(), [&](const Field& f) { return f.number == number; });
  return it == fields_.end() ? nullptr : &*it;
}

std::vector<const Field*> Message::all(std::uint32_t number) const {
  std::vector<const Field*> out;
  for (const Field& field : fields_) {
    if (field.number == number) out.push_back(&field);
  }
  return out;
}

std::vector<const Field*> Message::present(std::initializer_list<std::uint32_t> numbers) const {
  std::vector<const Field*> out;
  for (const Field& field : fields_) {
    if (std::find(numbers.begin(), numbers.end(), field.number) != numbers.end()) out.push_back(&field);
  }
  return out;
}

std::optional<std::int32_t> to_int32(std::uint64_t value) {
  if (value <= 0xffffffffu || value >= 0xffffffff80000000u) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(value & 0xffffffffu));
  }
  return std::nullopt;
}

std::optional<std::uint32_t> to_uint32(std::uint64_t value) {
  if (value > 0xffffffffu) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint8_t low = 0x80;  // bounds of the second byte (RFC 3629 §4)
    std::uint8_t high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c == 0xe0) low = 0xa0;   // no overlong forms
      if (c == 0xed) high = 0x9f;  // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c == 0xf0) low = 0x90;   // no overlong forms
      if (c == 0xf4) high = 0x8f;  // nothing above U+10FFFF
    } else {
      return false;
    }
    if (n - i < length) return false;
    const auto second = static_cast<std::uint8_t>(text[i + 1]);
    if (second < low || second > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      const auto next = static_cast<std::uint8_t>(text[i + k]);
      if (next < 0x80 || next > 0xbf) return false;
    }
    i += length;
  }
  return true;
}

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

namespace {
void put_tag(std::string& out, std::uint32_t number, WireType type) {
  put_varint(out, (static_cast<std::uint64_t>(number) << 3) | static_cast<std::uint64_t>(type));
}
}  // namespace

void put_varint_field(std::string& out, std::uint32_t number, std::uint64_t value) {
  put_tag(out, number, WireType::varint);
  put_varint(out, value);
}

void put_int32_field(std::string& out, std::uint32_t number, std::int32_t value) {
  put_varint_field(out, number, static_cast<std::uint64_t>(static_cast<std::int64_t>(value)));
}

void put_bytes_field(std::string& out, std::uint32_t number, std::string_view bytes) {
  put_tag(out, number, WireType::length_delimited);
  put_delimited(out, bytes);
}

void put_delimited(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}

}  // namespace gate::proxy::protobuf
