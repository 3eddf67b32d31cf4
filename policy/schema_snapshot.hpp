#pragma once
// An immutable, schema-only image of the upstream database (SPEC §6): built once
// per schema version from the `sqlite_schema` rows the proxy fetched, serialized,
// and cloned into one private in-memory connection per analysing thread.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/sqlite_connection.hpp"

namespace gate::policy {

// One row of `SELECT type, name, tbl_name, sql FROM sqlite_schema`.
struct SchemaRow {
  std::string type;
  std::string name;
  std::string tbl_name;
  std::string sql;  // empty for automatic indexes (sql IS NULL)
};

// An object stock SQLite could not recreate. The caller logs these.
struct SchemaProblem {
  enum class Handling {
    stand_in_table,  // unknown virtual-table module: a plain table with the declared
                     // columns stands in; writes to it are treated as virtual-table writes
    unanalysable,    // nothing could stand in: statements naming it get SQL_PARSE_ERROR
    skipped,         // an index/view/trigger left out; its table stays analysable
  };
  std::string name;
  std::string sql;
  std::string message;  // SQLite's error
  Handling handling = Handling::skipped;
};

std::string_view to_string(SchemaProblem::Handling handling);

class SchemaSnapshot {
 public:
  struct Built {
    std::shared_ptr<const SchemaSnapshot> snapshot;  // null only if SQLite itself failed
    std::string error;                               // why snapshot is null
  };

  // Recreates every object from its CREATE statement, tolerating what stock
  // SQLite cannot create (see SchemaProblem). Rows may come in any order.
  static Built build(std::span<const SchemaRow> rows);
  // For `explain --schema FILE.sql`: the file's statements (split the way SQLite
  // would, see sql_split.hpp) become the rows.
  static Built build_from_sql(std::string_view schema_sql);

  // Identifies the schema: a hash of the rows. Analysis results are cached per
  // (version, SQL text), so two snapshots from identical rows share results.
  std::uint64_t version() const { return version_; }
  const std::vector<SchemaProblem>& problems() const { return problems_; }
  // Canonical names of plain tables standing in for unknown virtual tables.
  const std::vector<std::string>& stand_in_virtual_tables() const { return stand_ins_; }
  std::size_t image_bytes() const { return image_.size(); }

  // A private, writable copy of the image for one thread (sqlite3_deserialize);
  // its vector_top_k reports to `catalog` (vector_search.hpp).
  SqliteDb open_copy(std::string& error, VectorIndexCatalog* catalog = nullptr) const;

 private:
  SchemaSnapshot() = default;

  std::uint64_t version_ = 0;
  std::vector<unsigned char> image_;
  std::vector<SchemaProblem> problems_;
  std::vector<std::string> stand_ins_;
};

// FNV-1a over the rows (type, name, tbl_name, sql, each length-prefixed).
std::uint64_t schema_version_of(std::span<const SchemaRow> rows);

}  // namespace gate::policy
