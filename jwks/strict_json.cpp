#include "jwks/strict_json.hpp"


namespace gate::jwks {

namespace {

// One pass over the text, without recursion and before any parser runs: whether
// nesting exceeds max_depth (so a 10k-deep "[[[[..." never reaches a recursive
// routine, parser or destructor), and how many name separators (':') stand outside
// strings. In valid JSON each such ':' is exactly one member written, so if the
// parsed document holds fewer members, a name was repeated (nlohmann keeps the
// last). Malformed text may be miscounted; the parser refuses it anyway.
struct Scan {
  bool too_deep = false;
  std::size_t members = 0;
};

Scan scan(std::string_view text, std::size_t max_depth) {
  Scan out;
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case ':': ++out.members; break;
      case '[':
      case '{':
        if (++depth > max_depth) {
          out.too_deep = true;
          return out;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return out;
}

// Members held by the parsed document; recursion is bounded by max_depth.
std::size_t count_members(const nlohmann::json& value) {
  std::size_t n = 0;
  if (value.is_object()) {
    n += value.size();
    for (const auto& member : value) n += count_members(member);
  } else if (value.is_array()) {
    for (const auto& element : value) n += count_members(element);
  }
  return n;
}

}  // namespace

StrictJsonParse parse_strict_json(std::string_view text, std::size_t max_depth) {
  Scan counted = scan(text, max_depth);
  if (counted.too_deep) return {std::nullopt, StrictJsonError::too_deep};
  // No exceptions: malformed input is the common case under attack.
  auto value = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false,
                                     /*ignore_comments=*/false);
  if (value.is_discarded()) return {std::nullopt, StrictJsonError::not_json};
  if (count_members(value) != counted.members) return {std::nullopt, StrictJsonError::duplicate_member};
  return {std::move(value), std::nullopt};
}

}  // namespace gate::jwks
