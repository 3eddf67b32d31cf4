#pragma once
// libSQL's vector search, taught to the analysis connection (SPEC §6, "libSQL's
// own statements"): the eponymous table-valued function `vector_top_k('idx', v, k)`
// and what the schema copy knows about vector indexes and their shadow tables.
//
// SQLite's authorizer reports a read of `vector_top_k` and nothing else (DESIGN.md:
// measured on libSQL's own build, the indexed table never appears), yet the rows
// and vectors that come back are that table's. So our module resolves the index
// named by its first argument while the statement is planned and reports the
// indexed table to a VectorIndexCatalog, which turns it into an authorizer event.
#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gate::policy {

// Authorizer action code of our own, outside SQLite's range: "vector_top_k reads
// the table in arg1" (arg1 absent: the index was not a literal, any vector-indexed
// table may be read).
inline constexpr int kVectorTopKRead = 1000;

// What the analysis connection's vector_top_k asks of its owner while a statement
// is planned (inside sqlite3_prepare: implementations may run their own SQL, with
// their authorizer recording nothing).
class VectorIndexCatalog {
 public:
  virtual ~VectorIndexCatalog() = default;
  // The table the vector index `index_name` is on, or nullopt when the schema has
  // no vector index of exactly that name (libSQL looks the name up case-sensitively).
  virtual std::optional<std::string> vector_index_table(std::string_view index_name) = 0;
  // The statement being planned reads `table` through vector_top_k (nullopt: an
  // index chosen at run time).
  virtual void vector_top_k_reads(const std::optional<std::string>& table) = 0;
};

// Registers the eponymous-only module `vector_top_k` (columns id; hidden idx,
// vector, k — libSQL 3.45's shape). With a null catalog any index name is accepted
// and nothing is reported (building a snapshot, where nothing is analysed).
// An index the catalog does not know makes the statement fail to prepare, with
// libSQL's own message. The module never returns rows: nothing is executed here.
// `catalog` must outlive the connection's statements.
bool register_vector_top_k(sqlite3* db, VectorIndexCatalog* catalog);

// True when a CREATE INDEX statement indexes `libsql_vector_idx(...)`.
bool is_vector_index_sql(std::string_view create_index_sql);

// The canonical names of the tables whose vector index stores its graph in the
// table `canonical_name` (`<idx>_shadow` → the table `idx` is on;
// `libsql_vector_meta_shadow` → every table with a vector index). Empty when it is
// not a vector index's shadow table. Runs SQL on `db`: call with recording off.
std::vector<std::string> vector_shadow_owners(sqlite3* db, std::string_view canonical_name);

// The table a vector index of exactly this name (optionally `main.`-qualified, as
// libSQL accepts) is on, folded; nullopt when there is none. Runs SQL on `db`.
std::optional<std::string> find_vector_index_table(sqlite3* db, std::string_view index_name);

}  // namespace gate::policy
