#pragma once
// One table (or virtual table) a statement's compiled program opens: the second
// witness's report (program_witness.hpp), kept with the analysis and shown by
// `libsql-gate explain`.
#include <cstdint>
#include <string>
#include <string_view>

namespace gate::policy {

enum class OpenedKind : std::uint8_t {
  table,          // a b-tree of a table (or of one of its indexes): `table` is the table
  schema_table,   // sqlite_schema / sqlite_temp_schema (root page 1)
  virtual_table,  // a virtual table, eponymous (json_each, pragma_*, dbstat) or declared
  new_btree,      // a b-tree whose root is in a register: one the statement itself creates
  unmapped,       // nothing of the copy answers to it: refused (fail closed)
  unknown_virtual_table,  // a virtual table the copy cannot name: refused likewise
};

std::string_view to_string(OpenedKind kind);

struct OpenedObject {
  OpenedKind kind = OpenedKind::unmapped;
  std::string table;  // canonical table (an index's own table); "" for new_btree/unmapped
  std::string via;    // the canonical index name when an index was opened, else ""
  bool temp = false;  // in the temp database
  bool write = false;

  friend bool operator==(const OpenedObject&, const OpenedObject&) = default;
};

}  // namespace gate::policy
