#pragma once
// A small lexer for SQLite's SQL, used only where the authorizer cannot say what
// a statement does (the REPLACE conflict path, table-valued pragma arguments,
// CREATE VIRTUAL TABLE modules). It follows SQLite's own token rules for strings,
// quoted identifiers, comments and blobs, so text inside them is never mistaken
// for a keyword.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace gate::policy {

enum class SqlTokenKind {
  word,               // keyword or bare identifier: SELECT, users, pragma_table_info
  quoted_identifier,  // "x", [x], `x`
  string,             // 'x' (also X'00' blobs)
  number,
  variable,     // ?, ?1, :a, @a, $a
  punctuation,  // ( ) , ; . = and operators, one token each
};

struct SqlToken {
  SqlTokenKind kind;
  std::string_view text;  // as written, quotes included

  bool is_word(std::string_view upper_keyword) const;  // ASCII case-insensitive
  bool is(char punct) const {
    return kind == SqlTokenKind::punctuation && text.size() == 1 && text[0] == punct;
  }
  bool is_name() const {
    return kind == SqlTokenKind::word || kind == SqlTokenKind::quoted_identifier ||
           kind == SqlTokenKind::string;
  }
};

// Whitespace and comments are dropped. An unterminated string or comment ends the
// token list (SQLite would reject the text anyway).
std::vector<SqlToken> tokenize_sql(std::string_view sql, std::size_t max_tokens = SIZE_MAX);

// The text without leading and trailing ASCII whitespace.
std::string_view trim_whitespace(std::string_view text);

// True when the statement starting the text is a PRAGMA (possibly under EXPLAIN).
bool starts_with_pragma(std::string_view sql);

// The head of `CREATE [TEMP|TEMPORARY] [VIRTUAL] TABLE [IF NOT EXISTS]
// [schema.]name`, found in a token list.
struct CreateTableHead {
  bool virtual_table = false;
  std::size_t name = 0;        // index of the name token
  std::size_t after_name = 0;  // index of the token after it (AS, USING, "(")
};
std::optional<CreateTableHead> parse_create_table_head(const std::vector<SqlToken>& tokens);

// True when the text starts with CREATE VIRTUAL TABLE (the schema keeps each
// object's text as written, so this tells a virtual table's row from a table's).
bool is_create_virtual(std::string_view sql);

// True when the text uses the REPLACE conflict algorithm anywhere: `REPLACE INTO`,
// `INSERT OR REPLACE`, `UPDATE OR REPLACE`, `ON CONFLICT REPLACE` — any REPLACE
// keyword that is not the replace() function. Errs on the side of "yes".
bool mentions_replace_conflict(std::string_view sql);

}  // namespace gate::policy
