#include "policy/table_name.hpp"

namespace gate::policy {

namespace {
char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

char closing_quote(char open) {
  switch (open) {
    case '"': return '"';
    case '\'': return '\'';
    case '`': return '`';
    case '[': return ']';
    default: return '\0';
  }
}
}  // namespace

std::string normalize_table_name(std::string_view written) {
  std::string_view inner = written;
  char close = written.size() >= 2 ? closing_quote(written.front()) : '\0';
  bool quoted = close != '\0' && written.back() == close;
  if (quoted) inner = written.substr(1, written.size() - 2);

  std::string out;
  out.reserve(inner.size());
  for (std::size_t i = 0; i < inner.size(); ++i) {
    char c = inner[i];
    // SQLite escapes a quote inside a quoted identifier by doubling it ([x] has no escape).
    if (quoted && close != ']' && c == close && i + 1 < inner.size() && inner[i + 1] == close) ++i;
    out.push_back(ascii_lower(c));
  }
  return out;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace gate::policy
