// SPEC §6 "libSQL's own statements": vector search, vector indexes and their
// shadow tables, ALTER COLUMN, RANDOM ROWID, WebAssembly functions, sqld's
// defaults. The schema is what libSQL's sqlite_schema holds after
// `CREATE INDEX ... libsql_vector_idx(...)` (measured on the `libsql` npm build):
// the index, `<idx>_shadow` with its own index, and `libsql_vector_meta_shadow`.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "policy/libsql_statements.hpp"
#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "policy/vector_search.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"

using namespace gate::policy;
using namespace gate::policy::testing;

namespace {

constexpr std::string_view kLibsqlSchema = R"sql(
CREATE TABLE movies(id INTEGER PRIMARY KEY, title TEXT, year INTEGER, emb F32_BLOB(3));
CREATE INDEX movies_idx ON movies(libsql_vector_idx(emb));
CREATE TABLE libsql_vector_meta_shadow ( name TEXT PRIMARY KEY, metadata BLOB ) WITHOUT ROWID;
CREATE TABLE movies_idx_shadow (index_key  INTEGER , data BLOB, PRIMARY KEY (index_key));
CREATE INDEX movies_idx_shadow_idx ON movies_idx_shadow (index_key);
CREATE TABLE "Secret Docs"(id INTEGER PRIMARY KEY, body TEXT, "E m" F32_BLOB(3));
CREATE INDEX "Secret Idx" ON "Secret Docs"(libsql_vector_idx("E m", 'metric=cosine'));
CREATE TABLE "secret idx_shadow" (index_key  INTEGER , data BLOB, PRIMARY KEY (index_key));
CREATE TABLE plain(id INTEGER PRIMARY KEY, v TEXT);
CREATE INDEX plain_v ON plain(v);
CREATE TABLE plain_v_shadow(a);
CREATE TABLE audit(what TEXT);
CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER DEFAULT 0, CHECK (n >= 0));
CREATE INDEX notes_body ON notes(body);
CREATE TRIGGER notes_audit AFTER INSERT ON notes BEGIN INSERT INTO audit VALUES (new.body); END;
CREATE TABLE shuffled(x) RANDOM ROWID;
CREATE VIEW secret_matches AS
  SELECT id FROM vector_top_k('Secret Idx', vector32('[1,2,3]'), 5);
CREATE TRIGGER plain_spy AFTER INSERT ON plain BEGIN
  INSERT INTO audit SELECT id FROM vector_top_k('Secret Idx', vector32('[1,2,3]'), 5);
END;
)sql";

std::shared_ptr<const SchemaSnapshot> libsql_snapshot() {
  initialize_sqlite();
  static const auto built = SchemaSnapshot::build_from_sql(kLibsqlSchema);
  return built.snapshot;
}

std::string analyse(std::string_view sql, PolicyConfig config = {}) {
  SchemaSource source(libsql_snapshot());
  SqlAnalyzer analyzer(source, std::move(config), AnalyzerOptions{.cache_capacity = 0});
  return format_analysis(*analyzer.analyze(sql));
}

std::string parse_message(std::string_view sql) {
  SchemaSource source(libsql_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  auto analysis = analyzer.analyze(sql);
  return analysis->empty() || !analysis->back().parse_error ? "" : analysis->back().parse_error->message;
}

std::vector<std::string> run_batch(std::vector<std::string_view> texts) {
  SchemaSource source(libsql_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  std::vector<std::string> out;
  for (const auto& analysis : analyzer.analyze_batch(texts)) out.push_back(format_analysis(*analysis));
  return out;
}

}  // namespace

TEST_CASE("libsql schema: libSQL's own sqlite_schema rows build without problems") {
  auto snapshot = libsql_snapshot();
  REQUIRE(snapshot);
  for (const auto& p : snapshot->problems()) {
    CAPTURE(p.name);
    CAPTURE(p.message);
  }
  CHECK(snapshot->problems().empty());
}

TEST_CASE("vector_top_k: needs data_read on the table its index is on") {
  CHECK(analyse("SELECT id FROM vector_top_k('movies_idx', vector32('[1,2,3]'), 3)") == "data_read:movies");
  CHECK(analyse("SELECT * FROM vector_top_k('movies_idx', vector32('[1,2,3]'), 3)") == "data_read:movies");
  CHECK(analyse("SELECT title FROM vector_top_k('movies_idx', vector32('[1,2,3]'), 3) v JOIN movies ON "
                "movies.rowid = v.id") == "data_read:movies");
  CHECK(analyse("SELECT m.title FROM movies m JOIN vector_top_k('main.movies_idx', vector32('[1,2,3]'), 3) v "
                "ON m.rowid = v.id") == "data_read:movies");
  CHECK(analyse("SELECT count(*) FROM vector_top_k('Secret Idx', vector32('[1,2,3]'), 3)") ==
        "data_read:secret docs");
}

TEST_CASE("vector_top_k: the index table is found from a sub-query, a CTE, a view and a trigger") {
  CHECK(analyse("SELECT 1 WHERE EXISTS (SELECT id FROM vector_top_k('Secret Idx', vector32('[1,2,3]'), 1))") ==
        "data_read:secret docs");
  CHECK(analyse("WITH near AS (SELECT id FROM vector_top_k('Secret Idx', vector32('[1,2,3]'), 1)) "
                "SELECT title FROM movies WHERE id IN (SELECT id FROM near)") ==
        "data_read:movies,data_read:secret docs");
  CHECK(analyse("SELECT * FROM secret_matches") == "data_read:secret docs,data_read:secret_matches");
  // The trigger on plain reads the secret table's index: invoker semantics.
  CHECK(analyse("INSERT INTO plain(v) VALUES ('x')") == "data_add:audit,data_add:plain,data_read:secret docs");
  CHECK(analyse("SELECT id FROM plain WHERE id IN (SELECT id FROM vector_top_k('Secret Idx', ?, 3))") ==
        "data_read:plain,data_read:secret docs");
}

TEST_CASE("vector_top_k: in DDL that runs a query, and on an index created earlier in the batch") {
  CHECK(analyse("CREATE TABLE leak AS SELECT id FROM vector_top_k('Secret Idx', vector32('[1,2,3]'), 3)") ==
        "data_read:secret docs,schema_add:leak");
  auto got = run_batch({"CREATE INDEX fresh ON plain(libsql_vector_idx(v))",
                        "SELECT id FROM vector_top_k('fresh', vector32('[1,2,3]'), 3)"});
  CHECK(got == std::vector<std::string>{"schema_add:plain", "data_read:plain"});
  // Outside that batch the index does not exist.
  CHECK(analyse("SELECT id FROM vector_top_k('fresh', vector32('[1,2,3]'), 3)") == "parse_error");
}

TEST_CASE("vector_top_k: an index named at run time needs data_read on every table") {
  CHECK(analyse("SELECT id FROM vector_top_k(?, vector32('[1,2,3]'), 3)") == "data_read:all");
  CHECK(analyse("SELECT v.id FROM plain p, vector_top_k(p.v, vector32('[1,2,3]'), 3) v") ==
        "data_read:all,data_read:plain");
  CHECK(analyse("SELECT id FROM vector_top_k((SELECT v FROM plain), vector32('[1,2,3]'), 3)") ==
        "data_read:all,data_read:plain");
}

TEST_CASE("vector_top_k: an unknown index does not prepare, with libSQL's message") {
  std::string unknown = "vector index(search): failed to parse vector index parameters";
  CHECK(analyse("SELECT id FROM vector_top_k('nosuch', vector32('[1,2,3]'), 3)") == "parse_error");
  CHECK(parse_message("SELECT id FROM vector_top_k('nosuch', vector32('[1,2,3]'), 3)") == unknown);
  // libSQL looks the name up case-sensitively and only among vector indexes.
  CHECK(parse_message("SELECT id FROM vector_top_k('MOVIES_IDX', vector32('[1,2,3]'), 3)") == unknown);
  CHECK(parse_message("SELECT id FROM vector_top_k('plain_v', vector32('[1,2,3]'), 3)") == unknown);
  CHECK(parse_message("SELECT id FROM vector_top_k('movies', vector32('[1,2,3]'), 3)") == unknown);
  CHECK(parse_message("SELECT id FROM vector_top_k(42, vector32('[1,2,3]'), 3)") ==
        "vector index(search): first parameter (index) must be a string");
  // No column `distance` in libSQL 3.45's vector_top_k.
  CHECK(analyse("SELECT distance FROM vector_top_k('movies_idx', vector32('[1,2,3]'), 3)") == "parse_error");
}

TEST_CASE("vector_top_k: a real table of that name is just a table") {
  auto got = run_batch({"CREATE TABLE vector_top_k(id, idx, vector, k)", "SELECT id FROM vector_top_k"});
  CHECK(got == std::vector<std::string>{"schema_add:vector_top_k", "data_read:vector_top_k"});
}

TEST_CASE("vector functions: libSQL's names and argument counts") {
  CHECK(analyse("CREATE INDEX m3 ON movies(libsql_vector_idx(emb, 'metric=cosine', 'compress_neighbors=float8', "
                "'max_neighbors=20'))") == "schema_add:movies");
  CHECK(analyse("SELECT vectorb16('[1,2,3]'), vector8('[1,2,3]'), vector_extract(vector1bit('[1,-1]'))") == "none");
  CHECK(analyse("SELECT vector32('[1,2,3]', 2)") == "parse_error");
  CHECK(analyse("SELECT vector_distance_cos(vector32('[1,2,3]'))") == "parse_error");
}

TEST_CASE("newer SQLite functions libSQL has: stand-ins, whatever their arguments read is required") {
  CHECK(analyse("SELECT concat(title, 'x'), concat_ws('-', title, year), octet_length(title) FROM movies") ==
        "data_read:movies");
  CHECK(analyse("SELECT string_agg(body, ','), median(n) FROM notes") == "data_read:notes");
  CHECK(analyse("SELECT timediff('2024-01-01', '2023-01-01'), uuid()") == "none");
  CHECK(analyse("SELECT id FROM notes WHERE body REGEXP '^a'") == "data_read:notes");
  CHECK(analyse("SELECT value FROM generate_series(1, 3)") == "none");
  CHECK(analyse("SELECT value FROM generate_series(1, (SELECT count(*) FROM plain), 2)") == "data_read:plain");
  CHECK(analyse("SELECT title FROM movies WHERE id IN generate_series(1, 3)") == "data_read:movies");
  // Argument counts as libSQL's: concat needs one, concat_ws two, generate_series a start.
  CHECK(analyse("SELECT concat()") == "parse_error");
  CHECK(analyse("SELECT concat_ws(',')") == "parse_error");
  CHECK(analyse("SELECT median(1, 2)") == "parse_error");
  CHECK(parse_message("SELECT * FROM generate_series()") ==
        "first argument to \"generate_series()\" missing or unusable");
}

TEST_CASE("vector_distance_cos and vector32: ordinary functions over the table read") {
  CHECK(analyse("SELECT title, vector_distance_cos(emb, vector32('[1,2,3]')) AS d FROM movies ORDER BY d") ==
        "data_read:movies");
  CHECK(analyse("INSERT INTO movies(title, emb) VALUES ('a', vector32('[1,2,3]'))") == "data_add:movies");
}

TEST_CASE("vector index: creating and dropping one is schema_add and schema_delete on its table") {
  CHECK(analyse("CREATE INDEX m2 ON movies(libsql_vector_idx(emb, 'metric=cosine'))") == "schema_add:movies");
  CHECK(analyse("DROP INDEX movies_idx") == "schema_delete:movies");
  CHECK(analyse("DROP INDEX \"Secret Idx\"") == "schema_delete:secret docs");
}

TEST_CASE("vector shadow tables: read directly needs data_read on the indexed table") {
  CHECK(analyse("SELECT * FROM movies_idx_shadow") == "data_read:movies");
  CHECK(analyse("SELECT count(*) FROM MOVIES_IDX_SHADOW") == "data_read:movies");
  CHECK(analyse("SELECT data FROM \"Secret Idx_shadow\"") == "data_read:secret docs");
  CHECK(analyse("SELECT * FROM libsql_vector_meta_shadow") == "data_read:movies,data_read:secret docs");
  CHECK(analyse("SELECT * FROM main.[LIBSQL_VECTOR_META_SHADOW]") == "data_read:movies,data_read:secret docs");
  CHECK(analyse("SELECT m.title FROM movies m JOIN movies_idx_shadow s ON s.index_key = m.id") ==
        "data_read:movies");
}

TEST_CASE("vector shadow tables: written directly or altered is refused") {
  for (std::string_view sql : {
           "INSERT INTO movies_idx_shadow VALUES (99, x'00')",
           "UPDATE movies_idx_shadow SET data = NULL",
           "DELETE FROM \"MOVIES_IDX_SHADOW\"",
           "REPLACE INTO libsql_vector_meta_shadow VALUES ('movies_idx', x'00')",
           "DELETE FROM libsql_vector_meta_shadow",
           "INSERT INTO movies(title) SELECT 'x' FROM movies_idx_shadow; DELETE FROM movies_idx_shadow",
           "DROP TABLE movies_idx_shadow",
           "DROP TABLE libsql_vector_meta_shadow",
           "ALTER TABLE movies_idx_shadow ADD COLUMN extra",
           "CREATE INDEX spy ON movies_idx_shadow(data)",
           "CREATE TRIGGER spy AFTER INSERT ON movies_idx_shadow BEGIN SELECT 1; END",
       }) {
    CAPTURE(sql);
    CHECK(analyse(sql).find("forbidden:vector_shadow_write") != std::string::npos);
  }
  // A trigger of the batch that writes a shadow table makes the write that fires it refused.
  auto got = run_batch({"CREATE TRIGGER wipe AFTER INSERT ON audit BEGIN DELETE FROM movies_idx_shadow; END",
                        "INSERT INTO audit VALUES ('x')"});
  CHECK(got == std::vector<std::string>{"schema_add:audit", "forbidden:vector_shadow_write"});
  CHECK(analyse("INSERT INTO audit VALUES ('x')") == "data_add:audit");
}

TEST_CASE("vector shadow tables: a `_shadow` table of an ordinary index is an ordinary table") {
  CHECK(analyse("SELECT * FROM plain_v_shadow") == "data_read:plain_v_shadow");
  CHECK(analyse("DELETE FROM plain_v_shadow") == "data_delete:plain_v_shadow");
}

TEST_CASE("alter column: recognised, schema_update on the table") {
  CHECK(analyse("ALTER TABLE notes ALTER COLUMN body TO body TEXT") == "schema_update:notes");
  CHECK(analyse("alter table NOTES alter column BODY to body text not null default 'x';") ==
        "schema_update:notes");
  CHECK(analyse("ALTER TABLE main.\"Secret Docs\" ALTER COLUMN \"E m\" TO \"E m\" F32_BLOB(3) NOT NULL") ==
        "schema_update:secret docs");
  CHECK(analyse("ALTER TABLE [movies] ALTER COLUMN emb TO emb F32_BLOB(3) CHECK (emb IS NOT NULL)") ==
        "schema_update:movies");
  CHECK(analyse("/* c */ ALTER TABLE notes ALTER COLUMN n TO n INTEGER DEFAULT 1; SELECT n FROM notes") ==
        "schema_update:notes | data_read:notes");
}

TEST_CASE("alter column: does not prepare where libSQL does not, with its message") {
  CHECK(parse_message("ALTER TABLE nosuch ALTER COLUMN a TO a TEXT") == "no such table: nosuch");
  CHECK(parse_message("ALTER TABLE notes ALTER COLUMN nosuch TO nosuch TEXT") == "no such column: \"nosuch\"");
  CHECK(parse_message("ALTER TABLE notes ALTER COLUMN body TO other TEXT") ==
        "UPDATE cannot also rename column: \"body\" to \"other\". Use ALTER TABLE RENAME instead");
  // libSQL's grammar needs COLUMN; SQLite says so too.
  CHECK(analyse("ALTER TABLE notes ALTER body TO body TEXT") == "parse_error");
  CHECK(analyse("ALTER TABLE notes ALTER COLUMN body TO body TEXT REFERENCES") == "parse_error");
  // A view is not a table.
  CHECK(analyse("ALTER TABLE secret_matches ALTER COLUMN id TO id TEXT") == "parse_error");
}

TEST_CASE("alter column: the copy learns the new definition for later statements") {
  auto got = run_batch({"ALTER TABLE notes ALTER COLUMN n TO n INTEGER REFERENCES plain(id)",
                        "INSERT INTO notes(body, n) VALUES ('a', 1)"});
  // The new foreign key is checked (foreign keys on): the insert now reads plain;
  // the table kept its trigger (audit, reading NEW) through the rewrite.
  CHECK(got == std::vector<std::string>{"schema_update:notes",
                                        "data_add:audit,data_add:notes,data_read:notes,data_read:plain"});
  CHECK(analyse("INSERT INTO notes(body, n) VALUES ('a', 1)") == "data_add:audit,data_add:notes,data_read:notes");
  // The table's index is recreated with it (INDEXED BY fails to prepare without it).
  auto again =
      run_batch({"ALTER TABLE notes ALTER COLUMN body TO body BLOB", "SELECT * FROM notes INDEXED BY notes_body"});
  CHECK(again == std::vector<std::string>{"schema_update:notes", "data_read:notes"});
}

TEST_CASE("alter column: on a forbidden or special table") {
  CHECK(analyse("ALTER TABLE movies_idx_shadow ALTER COLUMN data TO data TEXT") ==
        "forbidden:vector_shadow_write");
  CHECK(analyse("ALTER TABLE temp.notes ALTER COLUMN body TO body TEXT") == "parse_error");
  PolicyConfig temp_allowed;
  temp_allowed.allow_temp_objects = true;
  SchemaSource source(libsql_snapshot());
  SqlAnalyzer analyzer(source, temp_allowed, AnalyzerOptions{.cache_capacity = 0});
  std::string_view with_temp[] = {"CREATE TEMP TABLE notes(a)", "ALTER TABLE notes ALTER COLUMN a TO a TEXT"};
  std::vector<std::string> got;
  for (const auto& a : analyzer.analyze_batch(with_temp)) got.push_back(format_analysis(*a));
  // The temp table shadows main.notes by name: the ALTER is of the temp one
  // (main.notes has no column a).
  CHECK(got == std::vector<std::string>{"schema_add:notes", "schema_update:notes"});
}

TEST_CASE("random rowid: a table option libSQL adds, analysed as the table without it") {
  CHECK(analyse("CREATE TABLE shopping(item TEXT, quantity INT) RANDOM ROWID") == "schema_add:shopping");
  CHECK(analyse("create table shopping(item) random /* x */ rowid;") == "schema_add:shopping");
  CHECK(analyse("CREATE TABLE s(x PRIMARY KEY) RANDOM ROWID, WITHOUT ROWID") == "schema_add:s");
  CHECK(analyse("CREATE TABLE IF NOT EXISTS main.\"Odd Name\"(x) RANDOM ROWID") == "schema_add:odd name");
  CHECK(analyse("CREATE TABLE s(x) RANDOM ROWID; INSERT INTO s VALUES (1)") == "schema_add:s | data_add:s");
  auto got = run_batch({"CREATE TABLE s(x) RANDOM ROWID", "SELECT x FROM s"});
  CHECK(got == std::vector<std::string>{"schema_add:s", "data_read:s"});
  CHECK(analyse("CREATE TEMP TABLE s(x) RANDOM ROWID") == "forbidden:temp_object");
  // A table libSQL created with the option is in the copy.
  CHECK(analyse("INSERT INTO shuffled VALUES (1)") == "data_add:shuffled");
  // What libSQL rejects too: CREATE TABLE AS with the option, the `WITH (...)`
  // spelling, AUTOINCREMENT (libSQL's message).
  CHECK(parse_message("CREATE TABLE s(x INTEGER PRIMARY KEY AUTOINCREMENT) RANDOM ROWID") ==
        "AUTOINCREMENT not allowed on RANDOM ROWID tables");
  CHECK(analyse("CREATE TABLE s AS SELECT 1 RANDOM ROWID") == "parse_error");
  CHECK(analyse("CREATE TABLE s(x) WITH (RANDOM ROWID)") == "parse_error");
}

TEST_CASE("wasm functions: CREATE FUNCTION and DROP FUNCTION are refused with a reason") {
  CHECK(analyse("CREATE FUNCTION f LANGUAGE wasm AS X'0061736d'") == "forbidden:wasm_function");
  CHECK(analyse("create function IF NOT EXISTS f language wasm as '(module)'") == "forbidden:wasm_function");
  CHECK(analyse("DROP FUNCTION f") == "forbidden:wasm_function");
  CHECK(analyse("drop function if exists \"f\";") == "forbidden:wasm_function");
  CHECK(analyse("SELECT 1; CREATE FUNCTION f LANGUAGE wasm AS 'x; y'; SELECT * FROM plain") ==
        "none | forbidden:wasm_function | data_read:plain");
  SchemaSource source(libsql_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  auto analysis = analyzer.analyze("DROP FUNCTION f");
  REQUIRE(analysis->front().forbidden);
  CHECK(analysis->front().forbidden->detail.find("WebAssembly") != std::string::npos);
}

TEST_CASE("sqld defaults: foreign keys are on for the analysis connection") {
  std::string error;
  SqliteDb db = open_analysis_database(error);
  REQUIRE(db);
  sqlite3_stmt* raw = nullptr;
  REQUIRE(sqlite3_prepare_v2(db.get(), "PRAGMA foreign_keys", -1, &raw, nullptr) == SQLITE_OK);
  SqliteStmt stmt(raw);
  REQUIRE(sqlite3_step(stmt.get()) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt.get(), 0) == 1);
  // An FK check reads the parent table's key (whether a row exists shows through
  // the insert's success): data_read on the parent, as for any read (SPEC §6).
  SchemaSource fixture(fixture_snapshot());
  SqlAnalyzer analyzer(fixture, PolicyConfig{});
  CHECK(format_analysis(*analyzer.analyze("INSERT INTO child(parent_id) VALUES (1)")) ==
        "data_add:child,data_read:parent");
}

TEST_CASE("libsql statements: recognition and rewriting") {
  auto alter = recognise_libsql_statement("  ALTER TABLE \"T\" ALTER COLUMN [c] TO c INT NOT NULL ; SELECT 1");
  REQUIRE(alter);
  CHECK(alter->kind == LibsqlStatement::Kind::alter_column);
  CHECK(alter->table == "t");
  CHECK(alter->column == "c");
  CHECK(alter->new_definition == "c INT NOT NULL");
  CHECK(std::string_view("  ALTER TABLE \"T\" ALTER COLUMN [c] TO c INT NOT NULL ; SELECT 1").substr(alter->length) ==
        " SELECT 1");
  CHECK_FALSE(recognise_libsql_statement("ALTER TABLE t ADD COLUMN c"));
  CHECK_FALSE(recognise_libsql_statement("CREATE TABLE t(x) WITHOUT ROWID"));
  CHECK_FALSE(recognise_libsql_statement("SELECT 'ALTER TABLE t ALTER COLUMN c TO c'"));
  CHECK(without_random_rowid("CREATE TABLE t(x) STRICT, RANDOM ROWID") == "CREATE TABLE t(x) STRICT");
  CHECK(without_random_rowid("CREATE TABLE t(x) RANDOM ROWID, WITHOUT ROWID;") == "CREATE TABLE t(x) WITHOUT ROWID");
  CHECK_FALSE(without_random_rowid("CREATE TABLE t(x)"));
  CHECK(replace_column_definition("CREATE TABLE t(a DECIMAL(10,2), \"B\" TEXT, PRIMARY KEY(a))", "b", "b BLOB") ==
        "CREATE TABLE t(a DECIMAL(10,2), b BLOB, PRIMARY KEY(a))");
  CHECK_FALSE(replace_column_definition("CREATE TABLE t(a, CHECK (a > 0))", "check", "x"));
  CHECK(is_vector_index_sql("CREATE INDEX i ON t(LIBSQL_VECTOR_IDX(e))"));
  CHECK_FALSE(is_vector_index_sql("CREATE INDEX i ON t(e) WHERE 'libsql_vector_idx(' <> ''"));
}
