#include "jwks/base64url.hpp"

#include <array>
#include <cstdint>

namespace gate::jwks {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(kInvalid);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr auto kDecode = make_decode_table();

}  // namespace

bool base64url_decode_into(std::string_view text, std::string& out) {
  // A lone trailing character carries only 6 bits: no byte string encodes to it.
  const std::size_t rem = text.size() % 4;
  if (rem == 1) return false;
  out.resize(text.size() / 4 * 3 + (rem == 0 ? 0 : rem - 1));
  auto in = reinterpret_cast<const unsigned char*>(text.data());
  auto dst = reinterpret_cast<unsigned char*>(out.data());
  const std::size_t full = text.size() - rem;
  // Whole quanta: OR the table values together so one test catches any bad byte.
  for (std::size_t i = 0; i < full; i += 4) {
    std::uint32_t a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]], d = kDecode[in[i + 3]];
    if ((a | b | c | d) & 0x80) return false;
    std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    *dst++ = static_cast<unsigned char>(v >> 16);
    *dst++ = static_cast<unsigned char>(v >> 8);
    *dst++ = static_cast<unsigned char>(v);
  }
  if (rem != 0) {
    std::uint32_t a = kDecode[in[full]], b = kDecode[in[full + 1]];
    std::uint32_t c = rem == 3 ? kDecode[in[full + 2]] : 0;
    if ((a | b | c) & 0x80) return false;
    std::uint32_t v = (a << 18) | (b << 12) | (c << 6);
    // Unused trailing bits must be zero, or several texts would decode alike.
    if (rem == 2 ? (v & 0xffff) != 0 : (v & 0xff) != 0) return false;
    *dst++ = static_cast<unsigned char>(v >> 16);
    if (rem == 3) *dst++ = static_cast<unsigned char>(v >> 8);
  }
  return true;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out;
  if (!base64url_decode_into(text, out)) return std::nullopt;
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : bytes) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

}  // namespace gate::jwks
