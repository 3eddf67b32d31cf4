#include "policy/drop_if_exists.hpp"

#include "policy/sql_tokenizer.hpp"
#include "policy/table_name.hpp"

namespace gate::policy {

std::optional<DropIfExists> parse_drop_if_exists(std::string_view statement_sql) {
  // The statement is one that prepared: a handful of tokens decide.
  const auto t = tokenize_sql(statement_sql, 10);
  std::size_t i = 0;
  auto word = [&](std::string_view kw) { return i < t.size() && t[i].is_word(kw); };
  if (!word("DROP")) return std::nullopt;
  ++i;
  if (!(word("TABLE") || word("VIEW") || word("INDEX") || word("TRIGGER"))) return std::nullopt;
  ++i;
  if (!word("IF")) return std::nullopt;
  ++i;
  if (!word("EXISTS")) return std::nullopt;
  ++i;
  if (i >= t.size() || !t[i].is_name()) return std::nullopt;
  DropIfExists out;
  if (i + 2 < t.size() && t[i + 1].is('.') && t[i + 2].is_name()) {
    out.schema = normalize_table_name(t[i].text);
    i += 2;
  }
  out.name = normalize_table_name(t[i].text);
  ++i;
  // Nothing may follow but the statement's end.
  if (i < t.size() && !t[i].is(';')) return std::nullopt;
  return out;
}

}  // namespace gate::policy
