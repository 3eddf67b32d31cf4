#pragma once
// The second witness of SPEC §6: what a compiled statement's own program opens.
//
// The authorizer reports what the parser and resolver saw; it has missed tables
// (3.40.1: NATURAL/USING with FULL or RIGHT JOIN reads a table with no column
// callback). The program cannot miss one: every b-tree a statement reads or writes
// is opened by an instruction naming its root page, every virtual table by an
// instruction naming its connection. Reading the program (EXPLAIN of the same
// text on the analysis connection, trigger sub-programs included) gives a list
// the authorizer's report is then checked against (program_rules.hpp).
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/opened_object.hpp"

namespace gate::policy {

// What the root pages and virtual-table connections of one analysis connection
// belong to. Root pages change with the schema and a virtual table's connection is
// replaced whenever SQLite resets the schema, so the owner forgets both after
// every change to the copy (DDL applied, savepoint rolled back).
class ProgramObjects {
 public:
  // Eponymous virtual tables that may appear in a program although no schema row
  // declares them (added to the schema's own virtual tables when learning).
  explicit ProgramObjects(std::vector<std::string> eponymous);

  void forget();
  // Reads sqlite_schema (main and temp) and EXPLAINs one SELECT per virtual table
  // so that each connection pointer is known. `db` must have no recording
  // authorizer active (the caller switches its recorder to passive).
  void learn(sqlite3* db);
  bool learned() const { return learned_; }
  // Learns one more virtual table by name (an eponymous one the connection first
  // met in a user statement, e.g. an extension's table-valued function); false if
  // the name is no virtual table.
  bool learn_virtual_table(sqlite3* db, std::string_view name);

  // The opens of one EXPLAIN statement's rows, in program order, deduplicated.
  // Steps `explain` to the end and resets it.
  std::vector<OpenedObject> read(sqlite3_stmt* explain) const;

 private:
  struct Root {
    std::string name;   // canonical
    std::string table;  // canonical; == name for a table
  };
  OpenedObject at_root(int database, int root_page, bool write) const;
  bool learn_from(sqlite3* db, const std::string& explain_select, const std::string& name);

  std::vector<std::string> eponymous_;
  bool learned_ = false;
  std::unordered_map<std::uint64_t, Root> roots_;                  // (database << 32) | root page
  std::unordered_map<std::string, std::string> virtual_tables_;  // "vtab:<pointer>" -> canonical name
};

}  // namespace gate::policy
