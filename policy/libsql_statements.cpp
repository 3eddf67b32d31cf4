#include "policy/libsql_statements.hpp"

#include <vector>

#include "policy/sql_tokenizer.hpp"
#include "policy/table_name.hpp"

namespace gate::policy {

namespace {

std::size_t offset_of(std::string_view text, const SqlToken& token) {
  return static_cast<std::size_t>(token.text.data() - text.data());
}

std::size_t end_of(std::string_view text, const SqlToken& token) {
  return offset_of(text, token) + token.text.size();
}

// The tokens of the first statement of `text` (up to, not including, its `;`)
// and where that statement ends. Tokenizes a growing prefix, so the cost stays
// proportional to this statement, not to the rest of the text.
struct FirstStatement {
  std::vector<SqlToken> tokens;
  std::size_t length = 0;  // through the `;`, or the whole text
};

FirstStatement first_statement(std::string_view text) {
  for (std::size_t budget = 64;; budget *= 2) {
    auto tokens = tokenize_sql(text, budget);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i].is(';')) {
        std::size_t length = end_of(text, tokens[i]);
        tokens.resize(i);
        return {std::move(tokens), length};
      }
    }
    if (tokens.size() < budget) return {std::move(tokens), text.size()};
  }
}

// `CREATE TABLE name (...) options`: the option items after the closing
// parenthesis, each as [first token, last token] indexes.
struct TableOptions {
  std::size_t close_paren = 0;
  std::vector<std::pair<std::size_t, std::size_t>> items;
};

std::optional<TableOptions> table_options(const std::vector<SqlToken>& t) {
  auto head = parse_create_table_head(t);
  if (!head || head->virtual_table) return std::nullopt;
  std::size_t i = head->after_name;
  if (i >= t.size() || !t[i].is('(')) return std::nullopt;
  int depth = 0;
  for (; i < t.size(); ++i) {
    if (t[i].is('(')) ++depth;
    if (t[i].is(')') && --depth == 0) break;
  }
  if (i >= t.size()) return std::nullopt;
  TableOptions out;
  out.close_paren = i;
  std::size_t start = i + 1;
  for (std::size_t j = i + 1; j <= t.size(); ++j) {
    if (j == t.size() || t[j].is(',')) {
      if (j > start) out.items.emplace_back(start, j - 1);
      start = j + 1;
    }
  }
  return out;
}

bool is_random_rowid(const std::vector<SqlToken>& t, std::pair<std::size_t, std::size_t> item) {
  return item.second == item.first + 1 && t[item.first].is_word("RANDOM") && t[item.second].is_word("ROWID");
}

// The statement text (without its `;`) with RANDOM ROWID left out of the options.
std::optional<std::string> strip_random_rowid(std::string_view text, const std::vector<SqlToken>& t) {
  auto options = table_options(t);
  if (!options) return std::nullopt;
  bool found = false;
  std::string kept;
  for (auto item : options->items) {
    if (is_random_rowid(t, item)) {
      found = true;
      continue;
    }
    std::size_t from = offset_of(text, t[item.first]);
    kept += (kept.empty() ? " " : ", ") + std::string(text.substr(from, end_of(text, t[item.second]) - from));
  }
  if (!found) return std::nullopt;
  return std::string(text.substr(0, end_of(text, t[options->close_paren]))) + kept;
}

}  // namespace

std::optional<LibsqlStatement> recognise_libsql_statement(std::string_view text) {
  auto head = tokenize_sql(text, 12);
  if (head.size() < 2) return std::nullopt;
  bool function = (head[0].is_word("CREATE") || head[0].is_word("DROP")) && head[1].is_word("FUNCTION");
  bool alter = head[0].is_word("ALTER") && head[1].is_word("TABLE");
  bool create_table = head[0].is_word("CREATE") && parse_create_table_head(head).has_value();
  if (!function && !alter && !create_table) return std::nullopt;

  FirstStatement statement = first_statement(text);
  const auto& t = statement.tokens;
  LibsqlStatement out;
  out.length = statement.length;
  if (function) {
    out.kind = LibsqlStatement::Kind::wasm_function;
    return out;
  }
  if (create_table) {
    auto stripped = strip_random_rowid(text, t);
    if (!stripped) return std::nullopt;
    out.kind = LibsqlStatement::Kind::random_rowid_table;
    out.sqlite_sql = std::move(*stripped);
    for (const auto& token : t) {
      if (token.is_word("AUTOINCREMENT")) out.refused = "AUTOINCREMENT not allowed on RANDOM ROWID tables";
    }
    return out;
  }
  // ALTER TABLE [schema.]table ALTER COLUMN column TO column definition...
  std::size_t i = 2;
  if (i >= t.size() || !t[i].is_name()) return std::nullopt;
  if (i + 2 < t.size() && t[i + 1].is('.') && t[i + 2].is_name()) {
    out.schema = normalize_table_name(t[i].text);
    i += 2;
  }
  out.table = normalize_table_name(t[i].text);
  ++i;
  if (i + 4 >= t.size() || !t[i].is_word("ALTER") || !t[i + 1].is_word("COLUMN") || !t[i + 2].is_name() ||
      !t[i + 3].is_word("TO") || !t[i + 4].is_name()) {
    return std::nullopt;
  }
  out.kind = LibsqlStatement::Kind::alter_column;
  out.column = normalize_table_name(t[i + 2].text);
  out.new_column = normalize_table_name(t[i + 4].text);
  std::size_t from = offset_of(text, t[i + 4]);
  out.new_definition = std::string(text.substr(from, end_of(text, t.back()) - from));
  return out;
}

std::optional<std::string> without_random_rowid(std::string_view create_table_sql) {
  auto t = tokenize_sql(create_table_sql);
  while (!t.empty() && t.back().is(';')) t.pop_back();
  return strip_random_rowid(create_table_sql, t);
}

std::optional<std::string> replace_column_definition(std::string_view create_table_sql, std::string_view column,
                                                     std::string_view definition) {
  auto t = tokenize_sql(create_table_sql);
  auto head = parse_create_table_head(t);
  if (!head || head->virtual_table) return std::nullopt;
  std::size_t i = head->after_name;
  if (i >= t.size() || !t[i].is('(')) return std::nullopt;
  // Column definitions are the items at depth 1; table constraints start with
  // one of these keywords and are never a column.
  int depth = 0;
  std::size_t item_start = i + 1;
  for (; i < t.size(); ++i) {
    if (t[i].is('(')) {
      ++depth;
      continue;
    }
    bool closes = t[i].is(')') && depth == 1;
    if (t[i].is(')')) --depth;
    if ((depth == 1 && t[i].is(',')) || closes) {
      if (i > item_start) {
        const SqlToken& first = t[item_start];
        bool constraint = first.is_word("CONSTRAINT") || first.is_word("PRIMARY") || first.is_word("UNIQUE") ||
                          first.is_word("CHECK") || first.is_word("FOREIGN");
        if (!constraint && first.is_name() && normalize_table_name(first.text) == column) {
          std::size_t from = offset_of(create_table_sql, first);
          std::size_t to = end_of(create_table_sql, t[i - 1]);
          return std::string(create_table_sql.substr(0, from)) + std::string(definition) +
                 std::string(create_table_sql.substr(to));
        }
      }
      item_start = i + 1;
      if (closes) break;
    }
  }
  return std::nullopt;
}

}  // namespace gate::policy
