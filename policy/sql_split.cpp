#include "policy/sql_split.hpp"

#include <sqlite3.h>

#include "policy/sql_tokenizer.hpp"

namespace gate::policy {

namespace {

bool has_content(std::string_view s) {
  for (const auto& token : tokenize_sql(s)) {
    if (!token.is(';')) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> split_sql_statements(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  std::string candidate;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != ';') continue;
    candidate.assign(text.substr(start, i + 1 - start));
    // sqlite3_complete says whether this `;` really ends a statement.
    if (!sqlite3_complete(candidate.c_str())) continue;
    auto piece = trim_whitespace(candidate);
    if (has_content(piece)) out.emplace_back(piece);
    start = i + 1;
  }
  auto rest = trim_whitespace(text.substr(start));
  if (has_content(rest)) out.emplace_back(rest);
  return out;
}

}  // namespace gate::policy
