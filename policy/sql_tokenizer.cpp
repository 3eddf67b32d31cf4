#include "policy/sql_tokenizer.hpp"

#include <algorithm>
#include <cstddef>

namespace gate::policy {

namespace {

char ascii_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// SQLite treats every byte >= 0x80 as an identifier character.
bool is_id_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' || u == '$' ||
         u >= 0x80;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Index one past a quoted run starting at `start` (which holds the opening quote),
// with `close` doubled as its escape (SQLite's rule), or npos if unterminated.
std::size_t skip_quoted(std::string_view s, std::size_t start, char close, bool doubling) {
  std::size_t i = start + 1;
  while (i < s.size()) {
    if (s[i] == close) {
      if (doubling && i + 1 < s.size() && s[i + 1] == close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return std::string_view::npos;
}

}  // namespace

bool SqlToken::is_word(std::string_view upper_keyword) const {
  if (kind != SqlTokenKind::word || text.size() != upper_keyword.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (ascii_upper(text[i]) != upper_keyword[i]) return false;
  }
  return true;
}

std::vector<SqlToken> tokenize_sql(std::string_view s, std::size_t max_tokens) {
  std::vector<SqlToken> out;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n && out.size() < max_tokens) {
    char c = s[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      while (i < n && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      auto end = s.find("*/", i + 2);
      if (end == std::string_view::npos) break;
      i = end + 2;
      continue;
    }
    std::size_t start = i;
    SqlTokenKind kind = SqlTokenKind::punctuation;
    if (c == '\'') {
      i = skip_quoted(s, i, '\'', true);
      kind = SqlTokenKind::string;
    } else if ((c == 'x' || c == 'X') && i + 1 < n && s[i + 1] == '\'') {
      i = skip_quoted(s, i + 1, '\'', false);
      kind = SqlTokenKind::string;
    } else if (c == '"' || c == '`') {
      i = skip_quoted(s, i, c, true);
      kind = SqlTokenKind::quoted_identifier;
    } else if (c == '[') {
      i = skip_quoted(s, i, ']', false);
      kind = SqlTokenKind::quoted_identifier;
    } else if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(s[i + 1]))) {
      while (i < n && (is_id_char(s[i]) || s[i] == '.' ||
                       ((s[i] == '+' || s[i] == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E')))) {
        ++i;
      }
      kind = SqlTokenKind::number;
    } else if (c == '?' || c == ':' || c == '@' || c == '$' || c == '#') {
      ++i;
      while (i < n && is_id_char(s[i])) ++i;
      kind = SqlTokenKind::variable;
    } else if (is_id_char(c)) {
      while (i < n && is_id_char(s[i])) ++i;
      kind = SqlTokenKind::word;
    } else {
      ++i;
    }
    if (i == std::string_view::npos) break;  // unterminated quote: SQLite rejects it too
    out.push_back(SqlToken{kind, s.substr(start, i - start)});
  }
  return out;
}

std::string_view trim_whitespace(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool starts_with_pragma(std::string_view sql) {
  for (const auto& token : tokenize_sql(sql, 8)) {
    if (token.is_word("EXPLAIN") || token.is_word("QUERY") || token.is_word("PLAN") || token.is(';'))
      continue;
    return token.is_word("PRAGMA");
  }
  return false;
}

std::optional<CreateTableHead> parse_create_table_head(const std::vector<SqlToken>& t) {
  std::size_t i = 0;
  auto word = [&](std::string_view kw) { return i < t.size() && t[i].is_word(kw); };
  if (!word("CREATE")) return std::nullopt;
  ++i;
  if (word("TEMP") || word("TEMPORARY")) ++i;
  CreateTableHead head;
  if (word("VIRTUAL")) {
    head.virtual_table = true;
    ++i;
  }
  if (!word("TABLE")) return std::nullopt;
  ++i;
  if (word("IF")) i += 3;  // IF NOT EXISTS
  if (i >= t.size() || !t[i].is_name()) return std::nullopt;
  if (i + 2 < t.size() && t[i + 1].is('.') && t[i + 2].is_name()) i += 2;  // schema.name
  head.name = i;
  head.after_name = i + 1;
  return head;
}

bool mentions_replace_conflict(std::string_view sql) {
  auto tokens = tokenize_sql(sql);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (!tokens[i].is_word("REPLACE")) continue;
    bool is_function_call = i + 1 < tokens.size() && tokens[i + 1].is('(');
    if (!is_function_call) return true;
  }
  return false;
}

bool is_create_virtual(std::string_view sql) {
  auto tokens = tokenize_sql(sql.substr(0, std::min<std::size_t>(sql.size(), 64)), 2);
  return tokens.size() >= 2 && tokens[0].is_word("CREATE") && tokens[1].is_word("VIRTUAL");
}

}  // namespace gate::policy
