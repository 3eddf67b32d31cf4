#include "policy/schema_snapshot.hpp"

#include <cstring>
#include <optional>

#include "policy/authorizer_recorder.hpp"
#include "policy/libsql_statements.hpp"
#include "policy/sql_split.hpp"
#include "policy/sql_tokenizer.hpp"
#include "policy/table_name.hpp"

namespace gate::policy {

namespace {

struct VirtualTableDecl {
  std::string name;  // as written (quotes kept), usable in a CREATE TABLE
  std::string canonical_name;
  std::vector<std::string> columns;  // as written
};

// CREATE [TEMP] VIRTUAL TABLE [IF NOT EXISTS] [schema.]name USING module[(args)]
std::optional<VirtualTableDecl> parse_virtual_table(std::string_view sql) {
  auto t = tokenize_sql(sql);
  auto head = parse_create_table_head(t);
  if (!head || !head->virtual_table) return std::nullopt;
  VirtualTableDecl decl;
  decl.name = std::string(t[head->name].text);
  decl.canonical_name = normalize_table_name(t[head->name].text);
  std::size_t i = head->after_name;
  if (i >= t.size() || !t[i].is_word("USING")) return decl;
  i += 2;  // USING module
  if (i >= t.size() || !t[i].is('(')) return decl;
  ++i;
  // Module arguments: split at top-level commas; an argument whose first token is
  // a name and that has no `=` (an option) declares a column, the fts/rtree way.
  int depth = 0;
  std::vector<SqlToken> arg;
  auto flush = [&] {
    bool option = false;
    for (const auto& tok : arg) option = option || tok.is('=');
    if (!arg.empty() && !option &&
        (arg[0].kind == SqlTokenKind::word || arg[0].kind == SqlTokenKind::quoted_identifier)) {
      decl.columns.emplace_back(arg[0].text);
    }
    arg.clear();
  };
  for (; i < t.size(); ++i) {
    if (t[i].is('(')) ++depth;
    if (t[i].is(')')) {
      if (depth == 0) break;
      --depth;
    }
    if (depth == 0 && t[i].is(',')) {
      flush();
      continue;
    }
    arg.push_back(t[i]);
  }
  flush();
  return decl;
}

bool starts_with_sqlite_prefix(std::string_view name) {
  return name.size() >= 7 && fold_identifier(name.substr(0, 7)) == "sqlite_";
}

// CREATE [TEMP] TABLE ... (for rows handed in without a type, from a .sql file).
bool is_create_table(std::string_view sql) {
  auto head = parse_create_table_head(tokenize_sql(sql, 12));
  return head && !head->virtual_table;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// A virtual table created its own shadow tables (in defensive mode their names
// are reserved): the row for one of them needs no recreating.
bool already_there(std::string_view message) {
  return contains(message, "already exists") || contains(message, "reserved for internal use");
}

}  // namespace

std::string_view to_string(SchemaProblem::Handling handling) {
  switch (handling) {
    case SchemaProblem::Handling::stand_in_table: return "stand_in_table";
    case SchemaProblem::Handling::unanalysable: return "unanalysable";
    case SchemaProblem::Handling::skipped: return "skipped";
  }
  return "skipped";
}

std::uint64_t schema_version_of(std::span<const SchemaRow> rows) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    std::uint64_t len = s.size();
    for (int i = 0; i < 8; ++i) {
      h ^= (len >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  for (const auto& row : rows) {
    mix(row.type);
    mix(row.name);
    mix(row.tbl_name);
    mix(row.sql);
  }
  return h;
}

SchemaSnapshot::Built SchemaSnapshot::build_from_sql(std::string_view schema_sql) {
  std::vector<SchemaRow> rows;
  for (auto& statement : split_sql_statements(schema_sql)) {
    rows.push_back(SchemaRow{"", "", "", std::move(statement)});
  }
  return build(rows);
}

SchemaSnapshot::Built SchemaSnapshot::build(std::span<const SchemaRow> rows) {
  Built out;
  std::string error;
  SqliteDb db = open_analysis_database(error);
  if (!db) {
    out.error = "cannot open an in-memory SQLite database: " + error;
    return out;
  }
  std::shared_ptr<SchemaSnapshot> snapshot(new SchemaSnapshot());
  snapshot->version_ = schema_version_of(rows);

  // Virtual tables first (they create their own shadow tables, whose rows then
  // report "already exists" and are skipped silently), then tables, then the rest
  // (indexes, views, triggers) in passes until nothing more succeeds, so the input
  // order does not matter.
  std::vector<const SchemaRow*> virtual_rows, table_rows, other_rows;
  bool wants_stat1 = false;
  for (const auto& row : rows) {
    if (starts_with_sqlite_prefix(row.name)) {
      // Internal tables come back by themselves (sqlite_sequence with the first
      // AUTOINCREMENT table); sqlite_stat1 is recreated below.
      wants_stat1 = wants_stat1 || fold_identifier(row.name) == "sqlite_stat1";
      continue;
    }
    if (row.sql.empty()) continue;
    if (parse_virtual_table(row.sql)) {
      virtual_rows.push_back(&row);
    } else if (fold_identifier(row.type) == "table" || (row.type.empty() && is_create_table(row.sql))) {
      table_rows.push_back(&row);
    } else {
      other_rows.push_back(&row);
    }
  }

  auto object_name = [](const SchemaRow& row) { return row.name.empty() ? row.sql.substr(0, 60) : row.name; };

  for (const SchemaRow* row : virtual_rows) {
    std::string message = exec_sql(db.get(), row->sql.c_str());
    if (message.empty()) continue;
    auto decl = parse_virtual_table(row->sql);
    SchemaProblem problem{object_name(*row), row->sql, message, SchemaProblem::Handling::unanalysable};
    if (decl && !decl->columns.empty()) {
      std::string stand_in = "CREATE TABLE " + decl->name + "(";
      for (std::size_t i = 0; i < decl->columns.size(); ++i) {
        stand_in += (i ? ", " : "") + decl->columns[i];
      }
      stand_in += ")";
      if (exec_sql(db.get(), stand_in.c_str()).empty()) {
        problem.handling = SchemaProblem::Handling::stand_in_table;
        snapshot->stand_ins_.push_back(decl->canonical_name);
      }
    }
    snapshot->problems_.push_back(std::move(problem));
  }
  for (const SchemaRow* row : table_rows) {
    // libSQL's RANDOM ROWID only changes how rowids are chosen: the table without
    // it has the same columns, constraints and authorizer reports.
    auto plain = without_random_rowid(row->sql);
    std::string message = exec_sql(db.get(), plain ? plain->c_str() : row->sql.c_str());
    if (message.empty() || already_there(message)) continue;
    snapshot->problems_.push_back(
        SchemaProblem{object_name(*row), row->sql, message, SchemaProblem::Handling::unanalysable});
  }
  std::vector<std::pair<const SchemaRow*, std::string>> pending;
  for (const SchemaRow* row : other_rows) pending.emplace_back(row, "");
  for (bool progress = true; progress && !pending.empty();) {
    progress = false;
    std::vector<std::pair<const SchemaRow*, std::string>> still;
    for (auto& [row, last_error] : pending) {
      std::string message = exec_sql(db.get(), row->sql.c_str());
      if (message.empty() || already_there(message)) {
        progress = true;
      } else {
        still.emplace_back(row, message);
      }
    }
    pending = std::move(still);
  }
  for (auto& [row, message] : pending) {
    snapshot->problems_.push_back(
        SchemaProblem{object_name(*row), row->sql, message, SchemaProblem::Handling::skipped});
  }
  if (wants_stat1) {
    // ANALYZE on the empty copy creates an empty sqlite_stat1.
    std::string message = exec_sql(db.get(), "ANALYZE");
    if (!message.empty()) {
      snapshot->problems_.push_back(
          SchemaProblem{"sqlite_stat1", "", message, SchemaProblem::Handling::skipped});
    }
  }

  sqlite3_int64 size = 0;
  unsigned char* bytes = sqlite3_serialize(db.get(), "main", &size, 0);
  if (!bytes && size != 0) {
    out.error = "sqlite3_serialize failed: " + std::string(sqlite3_errmsg(db.get()));
    return out;
  }
  if (bytes) snapshot->image_.assign(bytes, bytes + size);
  sqlite3_free(bytes);
  out.snapshot = std::move(snapshot);
  return out;
}

SqliteDb SchemaSnapshot::open_copy(std::string& error, VectorIndexCatalog* catalog) const {
  SqliteDb db = open_analysis_database(error, catalog);
  if (!db) return nullptr;
  auto size = static_cast<sqlite3_int64>(image_.size());
  auto* buffer = static_cast<unsigned char*>(sqlite3_malloc64(static_cast<sqlite3_uint64>(size ? size : 1)));
  if (!buffer) {
    error = "out of memory cloning the schema image";
    return nullptr;
  }
  if (size) std::memcpy(buffer, image_.data(), image_.size());
  // FREEONCLOSE hands the buffer to SQLite; RESIZEABLE lets batch DDL grow it.
  int rc = sqlite3_deserialize(db.get(), "main", buffer, size, size,
                               SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
  if (rc != SQLITE_OK) {
    error = "sqlite3_deserialize failed: " + std::string(sqlite3_errmsg(db.get()));
    return nullptr;
  }
  return db;
}

}  // namespace gate::policy
