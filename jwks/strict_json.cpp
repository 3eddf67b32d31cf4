#include "jwks/strict_json.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace gate::jwks {

namespace {

// Whether nesting anywhere in the text exceeds max_depth, counting brackets outside
// strings, in one pass without recursion. Only consulted when parsing failed, so a
// malformed document is classified as the earlier two-pass parser did: too deep if
// its brackets nest too deeply anywhere, otherwise not JSON.
bool nests_too_deep(std::string_view text, std::size_t max_depth) {
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

int hex_digit(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// RFC 8259 JSON straight into nlohmann::json, in one pass: the tokens are the ones
// nlohmann's own parser accepts (same UTF-8 rules, escapes, number types and range,
// optional leading UTF-8 BOM, nothing after the value but whitespace — where
// nlohmann took a NUL byte for the end of the input and ignored the rest), and a member
// name met twice in one object is noticed on insertion, after unescaping, so
// "a" and "\u0061" collide. Recursion depth is bounded by max_depth, checked before
// descending. It exists because nlohmann's character-at-a-time lexer and the
// separate duplicate count were most of a cold token verification's non-crypto cost.
class Parser {
 public:
  Parser(std::string_view text, std::size_t max_depth)
      : p_(reinterpret_cast<const unsigned char*>(text.data())), end_(p_ + text.size()), max_depth_(max_depth) {}

  // Errors before duplicates: a document with a repeated name that is also
  // malformed is reported as malformed, as before.
  std::optional<StrictJsonError> parse(nlohmann::json& out) {
    if (end_ - p_ >= 3 && p_[0] == 0xEF && p_[1] == 0xBB && p_[2] == 0xBF) p_ += 3;
    skip_whitespace();
    if (!value(out, 0)) return too_deep_ ? StrictJsonError::too_deep : StrictJsonError::not_json;
    skip_whitespace();
    if (p_ != end_) return StrictJsonError::not_json;
    if (duplicate_) return StrictJsonError::duplicate_member;
    return std::nullopt;
  }

 private:
  void skip_whitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(reinterpret_cast<const char*>(p_), word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool value(nlohmann::json& out, std::size_t depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"': {
        out = std::string();
        return string(out.get_ref<std::string&>());
      }
      case 't': out = true; return literal("true");
      case 'f': out = false; return literal("false");
      case 'n': out = nullptr; return literal("null");
      default: return number(out);
    }
  }

  // Where a container stands after its opening bracket or after one of its items.
  enum class Step { item, closed, error };

  // At '{' or '['. Refuses to nest deeper than max_depth before consuming anything.
  Step open(std::size_t depth, unsigned char close) {
    if (depth > max_depth_) {
      too_deep_ = true;
      return Step::error;
    }
    ++p_;
    skip_whitespace();
    if (p_ != end_ && *p_ == close) {
      ++p_;
      return Step::closed;
    }
    return Step::item;
  }

  // After an item: the closing bracket, or ',' and the next item.
  Step next(unsigned char close) {
    skip_whitespace();
    if (p_ == end_) return Step::error;
    if (*p_ == close) {
      ++p_;
      return Step::closed;
    }
    if (*p_ != ',') return Step::error;
    ++p_;
    skip_whitespace();
    return Step::item;
  }

  bool object(nlohmann::json& out, std::size_t depth) {
    out = nlohmann::json::object();
    auto& members = out.get_ref<nlohmann::json::object_t&>();
    std::string name;
    for (Step step = open(depth, '}'); step != Step::closed; step = next('}')) {
      if (step == Step::error || p_ == end_ || *p_ != '"') return false;
      name.clear();
      if (!string(name)) return false;
      skip_whitespace();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      skip_whitespace();
      auto [slot, inserted] = members.try_emplace(std::move(name));
      if (inserted) {
        if (!value(slot->second, depth)) return false;
      } else {
        // Keep parsing so that a later syntax error still wins over the duplicate.
        duplicate_ = true;
        nlohmann::json ignored;
        if (!value(ignored, depth)) return false;
      }
    }
    return true;
  }

  bool array(nlohmann::json& out, std::size_t depth) {
    out = nlohmann::json::array();
    auto& elements = out.get_ref<nlohmann::json::array_t&>();
    for (Step step = open(depth, ']'); step != Step::closed; step = next(']')) {
      if (step == Step::error) return false;
      elements.emplace_back();
      if (!value(elements.back(), depth)) return false;
    }
    return true;
  }

  // At '"'. Well-formed UTF-8 only (RFC 3629: no overlongs, no encoded surrogates,
  // nothing above U+10FFFF), no raw control characters, escapes per RFC 8259 with
  // surrogate pairs required to be whole.
  bool string(std::string& out) {
    ++p_;
    while (true) {
      const unsigned char* run = p_;
      while (p_ != end_ && *p_ >= 0x20 && *p_ < 0x80 && *p_ != '"' && *p_ != '\\') ++p_;
      out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p_ - run));
      if (p_ == end_) return false;
      const unsigned char c = *p_;
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        if (!escape(out)) return false;
      } else if (c >= 0x80) {
        if (!utf8_sequence(out)) return false;
      } else {
        return false;  // a control character
      }
    }
  }

  bool escape(std::string& out) {
    ++p_;  // '\\'
    if (p_ == end_) return false;
    const unsigned char c = *p_++;
    switch (c) {
      case '"': out.push_back('"'); return true;
      case '\\': out.push_back('\\'); return true;
      case '/': out.push_back('/'); return true;
      case 'b': out.push_back('\b'); return true;
      case 'f': out.push_back('\f'); return true;
      case 'n': out.push_back('\n'); return true;
      case 'r': out.push_back('\r'); return true;
      case 't': out.push_back('\t'); return true;
      case 'u': break;
      default: return false;
    }
    auto cp = hex4();
    if (!cp) return false;
    std::uint32_t code = *cp;
    if (code >= 0xD800 && code <= 0xDBFF) {
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      auto low = hex4();
      if (!low || *low < 0xDC00 || *low > 0xDFFF) return false;
      code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
    } else if (code >= 0xDC00 && code <= 0xDFFF) {
      return false;  // a low surrogate without its high half
    }
    append_utf8(out, code);
    return true;
  }

  std::optional<std::uint32_t> hex4() {
    if (end_ - p_ < 4) return std::nullopt;
    std::uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      int digit = hex_digit(p_[i]);
      if (digit < 0) return std::nullopt;
      code = (code << 4) | static_cast<std::uint32_t>(digit);
    }
    p_ += 4;
    return code;
  }

  // RFC 3629 §4 (Unicode Table 3-7): the lead byte fixes the length and the range of
  // the first continuation byte; the rest are 80..BF.
  bool utf8_sequence(std::string& out) {
    const unsigned char lead = *p_;
    int length = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (end_ - p_ < length) return false;
    if (p_[1] < low || p_[1] > high) return false;
    for (int i = 2; i < length; ++i) {
      if (p_[i] < 0x80 || p_[i] > 0xBF) return false;
    }
    out.append(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(length));
    p_ += length;
    return true;
  }

  bool digits() {
    const unsigned char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != start;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? . As nlohmann: an integer is
  // unsigned when it has no sign and signed when it has one, and becomes a double
  // when it does not fit 64 bits; a double that overflows is an error.
  bool number(nlohmann::json& out) {
    const unsigned char* start = p_;
    bool negative = false;
    if (*p_ == '-') {
      negative = true;
      ++p_;
    }
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      digits();
    } else {
      return false;
    }
    bool integer = true;
    if (p_ != end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (!digits()) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return false;
    }
    const char* first = reinterpret_cast<const char*>(start);
    const char* last = reinterpret_cast<const char*>(p_);
    if (integer) {
      if (negative) {
        std::int64_t v = 0;
        if (auto r = std::from_chars(first, last, v); r.ec == std::errc() && r.ptr == last) {
          out = v;
          return true;
        }
      } else {
        std::uint64_t v = 0;
        if (auto r = std::from_chars(first, last, v); r.ec == std::errc() && r.ptr == last) {
          out = v;
          return true;
        }
      }
    }
    // strtod, as nlohmann uses it: correctly rounded; underflow gives 0 or a
    // subnormal, overflow gives infinity, which is refused.
    std::string token(first, last);
    char* stop = nullptr;
    const double v = std::strtod(token.c_str(), &stop);
    if (stop != token.c_str() + token.size() || !std::isfinite(v)) return false;
    out = v;
    return true;
  }

  const unsigned char* p_;
  const unsigned char* const end_;
  const std::size_t max_depth_;
  bool duplicate_ = false;
  bool too_deep_ = false;
};

}  // namespace

StrictJsonParse parse_strict_json(std::string_view text, std::size_t max_depth) {
  nlohmann::json value;
  auto error = Parser(text, max_depth).parse(value);
  if (!error) return {std::move(value), std::nullopt};
  // A document that is malformed somewhere and nests too deeply elsewhere counts as
  // too deep, wherever the parser stopped.
  if (*error == StrictJsonError::not_json && nests_too_deep(text, max_depth)) error = StrictJsonError::too_deep;
  return {std::nullopt, error};
}

}  // namespace gate::jwks
