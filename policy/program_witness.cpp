#include "policy/program_witness.hpp"

#include <algorithm>

#include "policy/authorizer_recorder.hpp"
#include "policy/sql_tokenizer.hpp"
#include "policy/sqlite_connection.hpp"
#include "policy/table_name.hpp"

namespace gate::policy {

namespace {

// OPFLAG_P2ISREG of SQLite 3.40.1 (sqliteInt.h): P2 of an Open* is a register
// holding the root page, which only a b-tree created by the same statement has.
constexpr int kP2IsRegister = 0x10;

// EXPLAIN's columns (sqlite3VdbeList): addr, opcode, p1, p2, p3, p4, p5, comment.
enum Column { kOpcode = 1, kP1 = 2, kP2 = 3, kP3 = 4, kP4 = 5, kP5 = 6 };

constexpr std::uint64_t root_key(int database, int root_page) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(database)) << 32) |
         static_cast<std::uint32_t>(root_page);
}

std::string column_string(sqlite3_stmt* stmt, int column) {
  auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return text ? std::string(text) : std::string();
}

}  // namespace

std::string_view to_string(OpenedKind kind) {
  switch (kind) {
    case OpenedKind::table: return "table";
    case OpenedKind::schema_table: return "schema_table";
    case OpenedKind::virtual_table: return "virtual_table";
    case OpenedKind::new_btree: return "new_btree";
    case OpenedKind::unmapped: return "unmapped";
    case OpenedKind::unknown_virtual_table: return "unknown_virtual_table";
  }
  return "unmapped";
}

ProgramObjects::ProgramObjects(std::vector<std::string> eponymous) : eponymous_(std::move(eponymous)) {}

void ProgramObjects::forget() {
  learned_ = false;
  roots_.clear();
  virtual_tables_.clear();
}

void ProgramObjects::learn(sqlite3* db) {
  forget();
  // (statement, canonical name) for every virtual table that may be opened.
  std::vector<std::pair<std::string, std::string>> virtual_selects;
  for (const auto& name : eponymous_) learn_virtual_table(db, name);
  static constexpr const char* kDatabases[2] = {"main", "temp"};
  for (int database = 0; database < 2; ++database) {
    roots_[root_key(database, 1)] = database == 0 ? Root{"sqlite_schema", "sqlite_schema"}
                                                  : Root{"sqlite_temp_schema", "sqlite_temp_schema"};
    std::string list = std::string("SELECT type, name, tbl_name, rootpage, sql FROM ") + kDatabases[database] +
                       ".sqlite_schema WHERE type IN ('table', 'index')";
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, list.c_str(), -1, &raw, nullptr) != SQLITE_OK) continue;
    SqliteStmt rows(raw);
    while (sqlite3_step(rows.get()) == SQLITE_ROW) {
      std::string name = fold_identifier(column_string(rows.get(), 1));
      int root_page = sqlite3_column_int(rows.get(), 3);
      if (root_page > 0) {
        roots_[root_key(database, root_page)] = Root{name, fold_identifier(column_string(rows.get(), 2))};
      } else if (column_string(rows.get(), 0) == "table" && is_create_virtual(column_string(rows.get(), 4))) {
        virtual_selects.emplace_back(
            std::string("EXPLAIN SELECT * FROM ") + kDatabases[database] + "." + quote_identifier(column_string(rows.get(), 1)),
            name);
      }
    }
  }
  // A virtual table's instructions name it only by its connection's address
  // (P4 "vtab:<pointer>"); one EXPLAIN per virtual table learns which is which.
  for (const auto& [select, name] : virtual_selects) learn_from(db, select, name);
  learned_ = true;
}

bool ProgramObjects::learn_from(sqlite3* db, const std::string& explain_select, const std::string& name) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, explain_select.c_str(), -1, &raw, nullptr) != SQLITE_OK) return false;
  SqliteStmt explain(raw);
  bool found = false;
  while (sqlite3_step(explain.get()) == SQLITE_ROW) {
    if (column_string(explain.get(), kOpcode) == "VOpen") {
      virtual_tables_[column_string(explain.get(), kP4)] = name;
      found = true;
    }
  }
  return found;
}

bool ProgramObjects::learn_virtual_table(sqlite3* db, std::string_view name) {
  // A table-valued function may refuse a plan without its arguments (vector_top_k
  // needs its index name): then parameters are passed for up to four of them
  // (values known only at run time, which any module must plan for).
  std::string select = "EXPLAIN SELECT * FROM " + quote_identifier(name);
  if (learn_from(db, select, fold_identifier(name))) return true;
  std::string arguments;
  for (int count = 1; count <= 4; ++count) {
    arguments += count == 1 ? "?" : ", ?";
    if (learn_from(db, select + "(" + arguments + ")", fold_identifier(name))) return true;
  }
  return false;
}

OpenedObject ProgramObjects::at_root(int database, int root_page, bool write) const {
  OpenedObject out;
  out.write = write;
  out.temp = database == 1;
  auto it = roots_.find(root_key(database, root_page));
  if (it == roots_.end()) return out;  // unmapped
  out.table = it->second.table;
  if (it->second.name != it->second.table) out.via = it->second.name;
  out.kind = root_page == 1 ? OpenedKind::schema_table : OpenedKind::table;
  return out;
}

std::vector<OpenedObject> ProgramObjects::read(sqlite3_stmt* explain) const {
  std::vector<OpenedObject> opened;
  auto add = [&](OpenedObject object) {
    if (std::find(opened.begin(), opened.end(), object) == opened.end()) opened.push_back(std::move(object));
  };
  while (sqlite3_step(explain) == SQLITE_ROW) {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(explain, kOpcode));
    std::string_view opcode = text ? text : "";
    // Ephemeral, pseudo, sorter, autoindex and duplicated cursors hold the
    // statement's own intermediate rows, never a table's: not opens of the copy.
    if (opcode == "OpenRead" || opcode == "ReopenIdx" || opcode == "OpenWrite") {
      bool write = opcode == "OpenWrite";
      if (sqlite3_column_int(explain, kP5) & kP2IsRegister) {
        add(OpenedObject{OpenedKind::new_btree, "", "", sqlite3_column_int(explain, kP3) == 1, write});
      } else {
        add(at_root(sqlite3_column_int(explain, kP3), sqlite3_column_int(explain, kP2), write));
      }
    } else if (opcode == "Clear") {  // DELETE without WHERE empties the b-tree in one step
      add(at_root(sqlite3_column_int(explain, kP2), sqlite3_column_int(explain, kP1), true));
    } else if (opcode == "Destroy") {  // DROP frees the b-tree
      add(at_root(sqlite3_column_int(explain, kP3), sqlite3_column_int(explain, kP1), true));
    } else if (opcode == "VOpen" || opcode == "VUpdate") {
      OpenedObject object;
      object.kind = OpenedKind::unknown_virtual_table;
      object.write = opcode == "VUpdate";
      if (auto it = virtual_tables_.find(column_string(explain, kP4)); it != virtual_tables_.end()) {
        object.kind = OpenedKind::virtual_table;
        object.table = it->second;
      }
      add(std::move(object));
    } else if (opcode == "VCreate") {  // CREATE VIRTUAL TABLE: a table the statement creates
      add(OpenedObject{OpenedKind::new_btree, "", "", sqlite3_column_int(explain, kP1) == 1, true});
    } else if (opcode == "VDestroy") {
      add(OpenedObject{OpenedKind::virtual_table, fold_identifier(column_string(explain, kP4)), "",
                       sqlite3_column_int(explain, kP1) == 1, true});
    } else if (opcode == "SqlExec") {
      // SQL text run while the program runs: its tables are not in this program.
      add(OpenedObject{OpenedKind::unmapped, "", "", false, true});
    }
  }
  // A listed EXPLAIN stays "in progress" after its last row until reset, and would
  // keep the copy's savepoints from opening.
  sqlite3_reset(explain);
  return opened;
}

}  // namespace gate::policy
