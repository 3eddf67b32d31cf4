#include "proxy/hrana_json_response.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace gate::proxy::hrana {

namespace {

using nlohmann::json;

// The SAX handler. Depth counts open containers: the response object's members are
// at depth 1, the elements of its `results` array at 2, their members at 3.
class Scanner {
 public:
  bool null() { return value(Kind::scalar, nullptr); }
  bool boolean(bool) { return value(Kind::scalar, nullptr); }
  bool number_integer(json::number_integer_t) { return value(Kind::scalar, nullptr); }
  bool number_unsigned(json::number_unsigned_t) { return value(Kind::scalar, nullptr); }
  bool number_float(json::number_float_t, const std::string&) { return value(Kind::scalar, nullptr); }
  bool string(std::string& text) { return value(Kind::string, &text); }
  bool binary(json::binary_t&) { return false; }  // not produced by the JSON parser

  bool start_object(std::size_t) {
    if (!value(Kind::object, nullptr)) return false;
    ++depth_;
    return true;
  }
  bool start_array(std::size_t) {
    if (!value(Kind::array, nullptr)) return false;
    ++depth_;
    return true;
  }
  bool end_object() {
    --depth_;
    if (depth_ == 2 && in_results_) return end_result();
    if (depth_ == 0) return unique_top_keys();
    return true;
  }
  bool end_array() {
    --depth_;
    if (depth_ == 1) in_results_ = false;
    return true;
  }

  bool key(std::string& name) {
    if (depth_ == 1) {
      top_key_ = name == "baton" ? TopKey::baton
                 : name == "base_url" ? TopKey::base_url
                 : name == "results"  ? TopKey::results
                                      : TopKey::other;
      if (top_key_ == TopKey::base_url) scan_.base_url_member = scan_.member_count;
      ++scan_.member_count;
      top_keys_.push_back(name);
    } else if (depth_ == 3 && in_results_) {
      type_key_ = name == "type";
    }
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  ResponseScan& result() { return scan_; }

 private:
  enum class Kind { scalar, string, object, array };
  enum class TopKey { other, baton, base_url, results };
  enum class TypeSeen { absent, ok, other, not_string };

  // A value starts at the current depth (a container's own start counts).
  bool value(Kind kind, const std::string* text) {
    if (depth_ == 0) return kind == Kind::object;
    if (depth_ == 1) {
      if (top_key_ == TopKey::baton && kind == Kind::string) scan_.baton = *text;
      if (top_key_ == TopKey::results && kind == Kind::array) in_results_ = true;
    } else if (depth_ == 2 && in_results_) {
      scan_.ok.push_back(false);
      type_ = TypeSeen::absent;
      type_key_ = false;
    } else if (depth_ == 3 && in_results_ && type_key_) {
      // The last `type` counts when a result repeats it, as in a parsed tree.
      type_ = kind != Kind::string ? TypeSeen::not_string : *text == "ok" ? TypeSeen::ok : TypeSeen::other;
    }
    return true;
  }

  bool end_result() {
    if (type_ == TypeSeen::not_string) return false;
    scan_.ok.back() = type_ == TypeSeen::ok;
    return true;
  }

  bool unique_top_keys() {
    std::sort(top_keys_.begin(), top_keys_.end());
    return std::adjacent_find(top_keys_.begin(), top_keys_.end()) == top_keys_.end();
  }

  ResponseScan scan_;
  std::vector<std::string> top_keys_;
  int depth_ = 0;
  TopKey top_key_ = TopKey::other;
  bool in_results_ = false;
  bool type_key_ = false;
  TypeSeen type_ = TypeSeen::absent;
};

// Positions in a body scan_response accepted, so its syntax is already valid.
bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view body, std::size_t i) {
  while (i < body.size() && json_space(body[i])) ++i;
  return i;
}

// `i` at an opening quote; returns the index after the closing one.
std::size_t skip_string(std::string_view body, std::size_t i) {
  for (++i; body[i] != '"'; ++i) {
    if (body[i] == '\\') ++i;
  }
  return i + 1;
}

// `i` at the first byte of a value; returns the index after its last byte.
std::size_t skip_value(std::string_view body, std::size_t i) {
  if (body[i] == '"') return skip_string(body, i);
  if (body[i] != '{' && body[i] != '[') {
    while (i < body.size() && !json_space(body[i]) && body[i] != ',' && body[i] != '}' && body[i] != ']') ++i;
    return i;
  }
  int depth = 0;
  do {
    if (body[i] == '"') {
      i = skip_string(body, i);
      continue;
    }
    if (body[i] == '{' || body[i] == '[') ++depth;
    if (body[i] == '}' || body[i] == ']') --depth;
    ++i;
  } while (depth > 0);
  return i;
}

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// The value of the object's member number `member` (the object starts at `open`).
Span member_value(std::string_view body, std::size_t open, std::size_t member) {
  std::size_t i = open + 1;
  for (std::size_t m = 0;; ++m) {
    i = skip_space(body, i);
    i = skip_string(body, i);      // the key
    i = skip_space(body, i) + 1;   // the ':'
    const std::size_t begin = skip_space(body, i);
    i = skip_value(body, begin);
    if (m == member) return {begin, i};
    i = skip_space(body, i) + 1;   // the ','
  }
}

}  // namespace

std::optional<ResponseScan> scan_response(std::string_view body) {
  Scanner scanner;
  if (!json::sax_parse(body.begin(), body.end(), &scanner)) return std::nullopt;
  return std::move(scanner.result());
}

std::string splice_base_url(std::string_view body, const ResponseScan& scan, const std::optional<std::string>& base_url) {
  // Only the object itself: the parser also accepts a leading byte-order mark and
  // whitespace around it, which the client gets no more than it did from a tree.
  const std::size_t open = body.find('{');
  std::size_t close = body.size();
  while (body[close - 1] != '}') --close;
  const std::string value =
      (base_url ? json(*base_url) : json(nullptr)).dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(close - open + value.size() + 16);
  if (scan.base_url_member) {
    const Span span = member_value(body, open, *scan.base_url_member);
    out.append(body.substr(open, span.begin - open));
    out.append(value);
    out.append(body.substr(span.end, close - span.end));
  } else {
    out.append("{\"base_url\":");
    out.append(value);
    if (scan.member_count > 0) out.push_back(',');
    out.append(body.substr(open + 1, close - open - 1));
  }
  return out;
}

}  // namespace gate::proxy::hrana
