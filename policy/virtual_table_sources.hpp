#pragma once
// The tables a virtual table's module reads or writes on its own, as its
// `CREATE VIRTUAL TABLE … USING module(arguments)` names them: an FTS table's
// external `content=` table, the FTS table an `fts5vocab` or `fts4aux` table
// reports on. SQLite's authorizer never sees those accesses (the module runs its
// own statements while the user's runs), and neither does the statement's
// program, so SPEC §6 asks for them from the declaration: data_read on each at
// creation, and every later read or write of the virtual table needs the same
// action on them.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gate::policy {

struct VirtualTableSources {
  std::string module;                // canonical
  std::vector<std::string> tables;   // canonical, in the main schema
  bool unknown = false;              // an argument names a table the gate cannot tell (another schema, an expression)
};

// nullopt when `create_sql` is not a CREATE VIRTUAL TABLE statement.
std::optional<VirtualTableSources> virtual_table_sources(std::string_view create_sql);

// The modules whose arguments virtual_table_sources() understands: the only ones
// policy.allowed_virtual_table_modules may list.
bool virtual_table_module_known(std::string_view canonical_module);

}  // namespace gate::policy
