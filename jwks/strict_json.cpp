#include "jwks/strict_json.hpp"

#include <set>
#include <string>
#include <vector>

namespace gate::jwks {

namespace {

// Nesting depth of the text, counted without recursion and before any parser runs,
// so a 10k-deep "[[[[..." can never reach a recursive routine (parser or destructor).
// Brackets inside strings do not count. Malformed text may be miscounted; it is
// rejected by the parser anyway.
bool exceeds_depth(std::string_view text, std::size_t max_depth) {
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
      case '[':
      case '{':
        if (++depth > max_depth) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return false;
}

// Thrown from the parser callback to stop at the first duplicate; never leaves this file.
struct DuplicateMember {};

}  // namespace

StrictJsonParse parse_strict_json(std::string_view text, std::size_t max_depth) {
  if (exceeds_depth(text, max_depth)) return {std::nullopt, StrictJsonError::too_deep};

  // Member names seen so far, one set per object currently open.
  std::vector<std::set<std::string, std::less<>>> open_objects;
  auto on_event = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start: open_objects.emplace_back(); break;
      case E::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case E::key:
        if (open_objects.empty() || !open_objects.back().insert(parsed.get<std::string>()).second) {
          throw DuplicateMember{};
        }
        break;
      default: break;
    }
    return true;
  };

  try {
    auto value = nlohmann::json::parse(text.begin(), text.end(), on_event, /*allow_exceptions=*/true,
                                       /*ignore_comments=*/false);
    return {std::move(value), std::nullopt};
  } catch (const DuplicateMember&) {
    return {std::nullopt, StrictJsonError::duplicate_member};
  } catch (const nlohmann::json::exception&) {
    return {std::nullopt, StrictJsonError::not_json};
  }
}

}  // namespace gate::jwks
