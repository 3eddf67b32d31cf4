// SPEC §6 for virtual tables built over other tables (#14 class 2): the module
// list, and the tables a module's arguments name — needed at creation and by
// every later read or write of the virtual table, through chains of them.
#include <doctest/doctest.h>

#include <string>

#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "policy/virtual_table_sources.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"

using namespace gate::policy;
using gate::policy::testing::format_analysis;

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE secrets(id INTEGER PRIMARY KEY, secret TEXT);
CREATE TABLE posts(id INTEGER PRIMARY KEY, body TEXT);
CREATE VIRTUAL TABLE leak USING fts5(secret, content='secrets', content_rowid='id');
CREATE VIRTUAL TABLE words USING fts5vocab(leak, 'row');
CREATE VIRTUAL TABLE post_search USING fts5(body);
)sql";

struct Fixture {
  explicit Fixture(std::vector<std::string> modules = {"fts5", "fts5vocab", "rtree"}) {
    initialize_sqlite();
    auto built = SchemaSnapshot::build_from_sql(kSchema);
    REQUIRE(built.snapshot);
    source = std::make_unique<SchemaSource>(built.snapshot);
    PolicyConfig config;
    config.allowed_virtual_table_modules = std::move(modules);
    analyzer = std::make_unique<SqlAnalyzer>(*source, config, AnalyzerOptions{.cache_capacity = 0});
  }
  std::string analyse(std::string_view sql) { return format_analysis(*analyzer->analyze(sql)); }
  std::unique_ptr<SchemaSource> source;
  std::unique_ptr<SqlAnalyzer> analyzer;
};

}  // namespace

TEST_CASE("virtual table sources: what each module's arguments name") {
  auto sources = [](std::string_view sql) {
    auto s = virtual_table_sources(sql);
    REQUIRE(s);
    std::string out = s->module + ":";
    for (const auto& t : s->tables) out += t + ",";
    return out + (s->unknown ? "unknown" : "");
  };
  CHECK(sources("CREATE VIRTUAL TABLE x USING fts5(a, content='T')") == "fts5:t,");
  CHECK(sources("CREATE VIRTUAL TABLE x USING FTS4(a, CONTENT=\"my t\")") == "fts4:my t,");
  CHECK(sources("CREATE VIRTUAL TABLE x USING fts5(a, content='')") == "fts5:");
  CHECK(sources("CREATE VIRTUAL TABLE x USING fts5(a, content_rowid='id')") == "fts5:");
  CHECK(sources("CREATE VIRTUAL TABLE x USING fts5(a, content=main.t)") == "fts5:unknown");
  CHECK(sources("CREATE VIRTUAL TABLE x USING fts5vocab(ft, 'row')") == "fts5vocab:ft,");
  CHECK(sources("CREATE VIRTUAL TABLE x USING fts5vocab(main, ft, 'col')") == "fts5vocab:ft,");
  CHECK(sources("CREATE VIRTUAL TABLE x USING fts5vocab(temp, ft, 'col')") == "fts5vocab:unknown");
  CHECK(sources("CREATE VIRTUAL TABLE x USING fts4aux(ft)") == "fts4aux:ft,");
  CHECK(sources("CREATE VIRTUAL TABLE x USING rtree(id, a, b)") == "rtree:");
  CHECK_FALSE(virtual_table_sources("CREATE TABLE x(a)"));
  CHECK(virtual_table_module_known("fts5vocab"));
  CHECK_FALSE(virtual_table_module_known("dbstat"));
}

TEST_CASE("virtual table sources: reads and writes through an external-content FTS table need its content table") {
  Fixture f;
  CHECK(f.analyse("SELECT * FROM leak WHERE leak MATCH 'x'") == "data_read:leak,data_read:secrets");
  CHECK(f.analyse("SELECT highlight(leak, 0, '[', ']') FROM leak('x')") == "data_read:leak,data_read:secrets");
  CHECK(f.analyse("INSERT INTO leak(leak) VALUES ('rebuild')") ==
        "data_add:leak,data_add:secrets,data_delete:leak,data_update:leak");
  CHECK(f.analyse("SELECT * FROM post_search") == "data_read:post_search");
}

TEST_CASE("virtual table sources: a vocabulary table over an FTS table needs what the FTS table needs") {
  Fixture f;
  CHECK(f.analyse("SELECT term, cnt FROM words") == "data_read:leak,data_read:secrets,data_read:words");
  CHECK(f.analyse("SELECT * FROM posts WHERE body IN (SELECT term FROM words)") ==
        "data_read:leak,data_read:posts,data_read:secrets,data_read:words");
  CHECK(f.analyse("CREATE VIEW v AS SELECT term FROM words; SELECT * FROM v") ==
        "schema_add:v | data_read:leak,data_read:secrets,data_read:v,data_read:words");
}

TEST_CASE("virtual table sources: creating one needs data_read on what it is built over") {
  Fixture f;
  CHECK(f.analyse("CREATE VIRTUAL TABLE peek USING fts5vocab(leak, 'instance')") ==
        "data_read:leak,data_read:secrets,schema_add:peek");
  CHECK(f.analyse("CREATE VIRTUAL TABLE p2 USING fts5(body, content=posts)") == "data_read:posts,schema_add:p2");
  CHECK(f.analyse("CREATE VIRTUAL TABLE p3 USING fts5(body)") == "schema_add:p3");
}

TEST_CASE("virtual table sources: modules outside policy.allowed_virtual_table_modules are refused") {
  Fixture f({"fts5"});
  CHECK(f.analyse("CREATE VIRTUAL TABLE peek USING fts5vocab(leak, 'row')") == "forbidden:virtual_table_module");
  CHECK(f.analyse("CREATE VIRTUAL TABLE f4 USING fts4(a, content=secrets)") == "forbidden:virtual_table_module");
  CHECK(f.analyse("CREATE VIRTUAL TABLE r USING rtree(id, a, b)") == "forbidden:virtual_table_module");
  // Tables created earlier (in the copy) are still read by their rules.
  CHECK(f.analyse("SELECT * FROM words") == "data_read:leak,data_read:secrets,data_read:words");
}
