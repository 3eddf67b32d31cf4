#include "policy/virtual_table_sources.hpp"

#include <array>

#include "policy/sql_tokenizer.hpp"
#include "policy/table_name.hpp"

namespace gate::policy {

namespace {

constexpr std::array<std::string_view, 7> kKnownModules{"fts3", "fts4", "fts5", "fts5vocab", "fts4aux", "rtree",
                                                        "rtree_i32"};

using Argument = std::vector<SqlToken>;

// The module's arguments, split at the commas outside parentheses.
std::vector<Argument> arguments(const std::vector<SqlToken>& t, std::size_t open) {
  std::vector<Argument> out(1);
  int depth = 0;
  for (std::size_t i = open + 1; i < t.size(); ++i) {
    if (t[i].is('(')) ++depth;
    if (t[i].is(')')) {
      if (depth == 0) break;
      --depth;
    }
    if (depth == 0 && t[i].is(',')) {
      out.emplace_back();
      continue;
    }
    out.back().push_back(t[i]);
  }
  if (out.size() == 1 && out.front().empty()) out.clear();
  return out;
}

// One name (a word, "quoted", [bracketed] or 'string'), or nullopt.
std::optional<std::string> single_name(const Argument& argument) {
  if (argument.size() != 1 || !argument.front().is_name()) return std::nullopt;
  return normalize_table_name(argument.front().text);
}

void add_table(VirtualTableSources& out, const std::optional<std::string>& table) {
  if (!table) {
    out.unknown = true;
  } else if (!table->empty()) {
    out.tables.push_back(*table);
  }
}

// fts5vocab(table, type) / fts5vocab(schema, table, type); fts4aux(table) /
// fts4aux(schema, table): the table reported on, when it is in the main schema.
void reported_table(VirtualTableSources& out, const std::vector<Argument>& args, std::size_t without_schema) {
  if (args.size() == without_schema) {
    add_table(out, single_name(args[0]));
  } else if (args.size() == without_schema + 1) {
    const auto schema = single_name(args[0]);
    if (schema && *schema == "main") {
      add_table(out, single_name(args[1]));
    } else {
      out.unknown = true;
    }
  } else {
    out.unknown = true;
  }
}

}  // namespace

bool virtual_table_module_known(std::string_view canonical_module) {
  for (auto known : kKnownModules) {
    if (known == canonical_module) return true;
  }
  return false;
}

std::optional<VirtualTableSources> virtual_table_sources(std::string_view create_sql) {
  const auto t = tokenize_sql(create_sql);
  const auto head = parse_create_table_head(t);
  if (!head || !head->virtual_table) return std::nullopt;
  std::size_t i = head->after_name;
  if (i + 1 >= t.size() || !t[i].is_word("USING") || !t[i + 1].is_name()) return std::nullopt;
  VirtualTableSources out;
  out.module = normalize_table_name(t[i + 1].text);
  if (i + 2 >= t.size() || !t[i + 2].is('(')) return out;  // no arguments
  const auto args = arguments(t, i + 2);
  if (out.module == "fts3" || out.module == "fts4" || out.module == "fts5") {
    // `content = table` (an external-content FTS table); content='' is contentless.
    for (const auto& argument : args) {
      if (argument.size() >= 2 && argument[0].is_word("CONTENT") && argument[1].is('=')) {
        add_table(out, single_name(Argument(argument.begin() + 2, argument.end())));
      }
    }
  } else if (out.module == "fts5vocab") {
    reported_table(out, args, 2);
  } else if (out.module == "fts4aux") {
    reported_table(out, args, 1);
  }
  return out;
}

}  // namespace gate::policy
