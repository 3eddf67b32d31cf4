// The differential oracle's statements, as the gate analyses them, for the libSQL
// agreement check (issue 24): tests/integration/libsql_oracle_agreement.test.mjs
// runs this case with LIBSQL_GATE_ORACLE_DUMP=<file> and prepares every
// statement with libSQL's own engine; the two must agree on which statements
// prepare. One JSON object a line: first {"schema": …}, then {"sql", "gate"}
// with "gate" one of "ok", "parse_error" (with "message") or "forbidden" (refused
// while compiling, so it says nothing about preparing).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "policy/sqlite_connection.hpp"
#include "tests/unit/policy/oracle_generator.hpp"

using namespace gate::policy;

TEST_CASE("oracle: statements for the libSQL agreement check (LIBSQL_GATE_ORACLE_DUMP)") {
  const char* path = std::getenv("LIBSQL_GATE_ORACLE_DUMP");
  if (!path || !*path) {
    MESSAGE("[skipped] oracle dump: set LIBSQL_GATE_ORACLE_DUMP (libsql_oracle_agreement.test.mjs does)");
    std::printf("[skipped] oracle dump: set LIBSQL_GATE_ORACLE_DUMP (libsql_oracle_agreement.test.mjs does)\n");
    return;
  }
  const char* count_text = std::getenv("LIBSQL_GATE_ORACLE_DUMP_COUNT");
  const long count = count_text ? std::atol(count_text) : 5000;
  REQUIRE(count > 0);
  initialize_sqlite();
  auto built = SchemaSnapshot::build_from_sql(oracle::kSchema);
  REQUIRE(built.snapshot);
  SchemaSource source(built.snapshot);
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  std::ofstream out(path);
  REQUIRE(out);
  out << nlohmann::json{{"schema", std::string(oracle::kSchema)}}.dump() << '\n';
  const long per_seed = 1000;
  for (long done = 0, seed = 1; done < count; ++seed) {
    oracle::SqlGenerator generator(static_cast<std::uint64_t>(seed));
    for (long i = 0; i < per_seed && done < count; ++i, ++done) {
      nlohmann::json line{{"sql", generator.statement()}};
      auto analysis = analyzer.analyze(line["sql"].get<std::string>());
      line["gate"] = "ok";
      for (const auto& statement : *analysis) {
        if (statement.parse_error) {
          line["gate"] = "parse_error";
          line["message"] = statement.parse_error->message;
          break;
        }
        if (statement.forbidden) line["gate"] = "forbidden";
      }
      out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
  }
  CHECK(out.good());
}
