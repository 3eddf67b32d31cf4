// The differential oracle of issue 14: random statements (oracle_generator.hpp)
// are analysed by the gate and judged for several token grant sets; whatever the
// gate allows is run on a copy of a database whose every text value is a canary
// naming its table. A finding — a canary of a table the token may not read in
// the result, or a table changed in a way the token may not change it — is a bug
// in the gate, never in the oracle.
//
// The test command runs a fixed seed set. For a long run:
//   LIBSQL_GATE_ORACLE_SECONDS=600 build/tests/policy_tests -tc="oracle: long run*"
// (scripts/oracle does this), optionally with LIBSQL_GATE_ORACLE_SEED=<first seed>.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "policy/decision.hpp"
#include "policy/grants.hpp"
#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "policy/sqlite_connection.hpp"
#include "tests/unit/policy/oracle_generator.hpp"

using namespace gate::policy;

namespace {

namespace oracle = gate::policy::oracle;

constexpr ActionMask kWrites =
    action_bit(Action::data_add) | action_bit(Action::data_update) | action_bit(Action::data_delete);
constexpr ActionMask kAllData = kWrites | action_bit(Action::data_read);

struct GrantSet {
  std::string name;
  Grants grants;
};

std::vector<GrantSet> grant_sets() {
  auto make = [](std::string name, std::vector<std::pair<std::string, ActionMask>> tables) {
    GrantSet set{std::move(name), {}};
    for (const auto& [table, mask] : tables) {
      if (table == "all") {
        set.grants.add(std::nullopt, mask);
      } else {
        set.grants.add(std::string_view(table), mask);
      }
    }
    return set;
  };
  const ActionMask read = action_bit(Action::data_read);
  return {
      make("posts reader", {{"posts", read}}),
      make("reader of all but secrets",
           {{"users", read}, {"posts", read}, {"audit", read}, {"notes", read}, {"secret_view", read}}),
      make("posts writer", {{"posts", kAllData}, {"users", read}}),
      make("secrets blind writer", {{"secrets", kWrites}, {"posts", read}}),
      make("audit appender", {{"audit", action_bit(Action::data_add)}, {"posts", read | action_bit(Action::data_add)}}),
      make("notes reader", {{"notes", read}, {"posts", read}}),
      make("reader of everything", {{"all", read}}),
      make("users admin", {{"users", kAllData}, {"secrets", action_bit(Action::data_delete)}, {"posts", read}}),
      make("everything but secrets", {{"users", kAllData}, {"posts", kAllData}, {"audit", kAllData}, {"notes", kAllData}}),
      make("secrets updater", {{"secrets", read | action_bit(Action::data_update)}, {"audit", kWrites}}),
  };
}

// rowid -> hash of the row, per table.
using TableContent = std::map<sqlite3_int64, std::size_t>;

struct Effects {
  std::set<std::string> canaries_of;  // tables whose canaries the result shows
  struct Change {
    bool added = false, removed = false, updated = false;
  };
  std::map<std::string, Change> changes;
};

class CanaryDatabase {
 public:
  CanaryDatabase() {
    std::string error;
    SqliteDb source = open_plain(":memory:");
    std::string setup = std::string("PRAGMA foreign_keys = ON;") + std::string(oracle::kSchema) + oracle::data_sql();
    REQUIRE(exec_sql(source.get(), setup.c_str()) == "");
    sqlite3_int64 size = 0;
    unsigned char* image = sqlite3_serialize(source.get(), "main", &size, 0);
    REQUIRE(image != nullptr);
    image_.assign(image, image + size);
    sqlite3_free(image);
    fresh_copy();
    for (auto table : oracle::kDataTables) baseline_[std::string(table)] = content(std::string(table));
    baseline_["sqlite_sequence"] = content("sqlite_sequence");
  }

  // Runs one statement inside a savepoint that is rolled back, and reports what
  // it showed and changed.
  Effects run(const std::string& sql) {
    Effects effects;
    sqlite3* db = db_.get();
    if (exec_sql(db, "SAVEPOINT oracle") != "") {
      fresh_copy();
      REQUIRE(exec_sql(db_.get(), "SAVEPOINT oracle") == "");
      db = db_.get();
    }
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) == SQLITE_OK && raw) {
      SqliteStmt statement(raw);
      long budget = 2000;  // x 1000 VM steps: the generator's CTEs end, but bound anyway
      sqlite3_progress_handler(db, 1000, [](void* p) -> int { return --*static_cast<long*>(p) < 0; }, &budget);
      while (sqlite3_step(statement.get()) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(statement.get()); ++i) {
          auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), i));
          if (!text) continue;
          std::string value(text, static_cast<std::size_t>(sqlite3_column_bytes(statement.get(), i)));
          for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          for (std::size_t at = value.find("zq_"); at != std::string::npos; at = value.find("zq_", at + 1)) {
            std::string owner = oracle::canary_owner(value, at);
            if (!owner.empty()) effects.canaries_of.insert(owner);
          }
        }
      }
      sqlite3_progress_handler(db, 0, nullptr, nullptr);
    }
    for (const auto& [table, before] : baseline_) {
      TableContent after = content(table);
      if (after == before) continue;
      Effects::Change& change = effects.changes[table];
      for (const auto& [rowid, hash] : after) {
        auto old = before.find(rowid);
        if (old == before.end()) change.added = true;
        else if (old->second != hash) change.updated = true;
      }
      for (const auto& [rowid, hash] : before) change.removed = change.removed || !after.contains(rowid);
    }
    if (exec_sql(db, "ROLLBACK TO oracle; RELEASE oracle") != "") fresh_copy();
    return effects;
  }

 private:
  static SqliteDb open_plain(const char* name) {
    sqlite3* raw = nullptr;
    sqlite3_open_v2(name, &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY, nullptr);
    return SqliteDb(raw);
  }

  // What upstream runs with (sqld: foreign keys on, recursive triggers off).
  void fresh_copy() {
    db_ = open_plain(":memory:");
    auto* copy = static_cast<unsigned char*>(sqlite3_malloc64(image_.size()));
    std::copy(image_.begin(), image_.end(), copy);
    REQUIRE(sqlite3_deserialize(db_.get(), "main", copy, static_cast<sqlite3_int64>(image_.size()),
                                static_cast<sqlite3_int64>(image_.size()),
                                SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) == SQLITE_OK);
    REQUIRE(exec_sql(db_.get(), "PRAGMA foreign_keys = ON") == "");
    // Nested group_concat over joins can build values of hundreds of megabytes;
    // such a statement fails here instead (its partial rows are still checked).
    sqlite3_limit(db_.get(), SQLITE_LIMIT_LENGTH, 1 << 20);
  }

  TableContent content(const std::string& table) {
    TableContent out;
    std::string sql = "SELECT rowid, * FROM " + table;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return out;
    SqliteStmt rows(raw);
    while (sqlite3_step(rows.get()) == SQLITE_ROW) {
      std::string row;
      for (int i = 1; i < sqlite3_column_count(rows.get()); ++i) {
        auto* text = reinterpret_cast<const char*>(sqlite3_column_text(rows.get(), i));
        row += text ? text : "\x01NULL";
        row += '\x02';
      }
      out[sqlite3_column_int64(rows.get(), 0)] = std::hash<std::string>{}(row);
    }
    return out;
  }

  std::vector<unsigned char> image_;
  SqliteDb db_;
  std::map<std::string, TableContent> baseline_;
};

// What the gate allowed but the grants do not cover, "" when nothing.
std::string finding(const Effects& effects, const Grants& grants) {
  std::string out;
  for (const auto& table : effects.canaries_of) {
    if (!grants.allows(std::string_view(table), Action::data_read)) out += "read canary of " + table + "; ";
  }
  for (const auto& [table, change] : effects.changes) {
    auto may = [&](Action a) { return grants.allows(std::string_view(table), a); };
    if (table == "sqlite_sequence") {
      // AUTOINCREMENT bookkeeping of posts (SPEC: part of the INSERT/UPDATE).
      bool bookkeeping = grants.allows(std::string_view("posts"), Action::data_add) ||
                         grants.allows(std::string_view("posts"), Action::data_update);
      if (!bookkeeping && !may(Action::data_add) && !may(Action::data_update) && !may(Action::data_delete)) {
        out += "changed sqlite_sequence; ";
      }
      continue;
    }
    if (change.added && !may(Action::data_add)) out += "added rows to " + table + "; ";
    if (change.removed && !may(Action::data_delete)) out += "removed rows of " + table + "; ";
    // A REPLACE keeps the rowid: a delete and an add look like an update.
    if (change.updated && !may(Action::data_update) && !(may(Action::data_add) && may(Action::data_delete))) {
      out += "updated rows of " + table + "; ";
    }
  }
  return out;
}

struct OracleRun {
  std::size_t statements = 0, unprepared = 0, pairs = 0, allowed_pairs = 0, executed = 0, findings = 0;
  std::vector<std::string> reports;  // the first findings, for the log
};

// Seeds from `first_seed`, `per_seed` statements each, until `seeds` are done or
// `deadline` passes.
OracleRun run_oracle(std::uint64_t first_seed, std::uint64_t seeds, std::size_t per_seed,
                     std::chrono::steady_clock::time_point deadline) {
  initialize_sqlite();
  auto built = SchemaSnapshot::build_from_sql(oracle::kSchema);
  REQUIRE(built.snapshot);
  REQUIRE(built.snapshot->problems().empty());
  SchemaSource source(built.snapshot);
  // Uncached: every statement is analysed afresh, as a cold gate would.
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  CanaryDatabase database;
  std::vector<GrantSet> sets = grant_sets();
  OracleRun run;
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    if (std::chrono::steady_clock::now() > deadline) break;
    oracle::SqlGenerator generator(seed);
    for (std::size_t i = 0; i < per_seed; ++i) {
      std::string sql = generator.statement();
      ++run.statements;
      auto analysis = analyzer.analyze(sql);
      if (analysis->size() != 1 || analysis->front().parse_error) ++run.unprepared;
      std::vector<const GrantSet*> allowing;
      for (const auto& set : sets) {
        ++run.pairs;
        if (decide(set.grants, *analysis).allowed) allowing.push_back(&set);
      }
      if (allowing.empty()) continue;
      run.allowed_pairs += allowing.size();
      ++run.executed;
      Effects effects = database.run(sql);
      for (const GrantSet* set : allowing) {
        std::string problem = finding(effects, set->grants);
        if (problem.empty()) continue;
        ++run.findings;
        if (run.reports.size() < 20) {
          run.reports.push_back("seed " + std::to_string(seed) + " [" + set->name + "] " + problem + "\n    " + sql);
        }
      }
    }
  }
  return run;
}

std::string summary(const OracleRun& run) {
  std::string out = "oracle: " + std::to_string(run.statements) + " statements (" + std::to_string(run.unprepared) +
                    " did not prepare), " + std::to_string(run.pairs) + " statement x grant pairs, " +
                    std::to_string(run.allowed_pairs) + " allowed, " + std::to_string(run.executed) +
                    " executed, " + std::to_string(run.findings) + " findings";
  for (const auto& report : run.reports) out += "\n  " + report;
  return out;
}

}  // namespace

TEST_CASE("oracle: fixed seeds, no canary or change escapes the grants") {
  // 10 seeds x 1,000 statements x 10 grant sets = 100,000 pairs.
  OracleRun run = run_oracle(1, 10, 1000, std::chrono::steady_clock::time_point::max());
  MESSAGE(summary(run));
  CHECK(run.pairs >= 100000);
  // The generator must mostly produce statements that run, and the gate must
  // allow a fair share of them, or the oracle proves nothing.
  CHECK(run.unprepared * 4 < run.statements);
  CHECK(run.executed * 4 > run.statements);
  CHECK(run.findings == 0);
}

TEST_CASE("oracle: long run (LIBSQL_GATE_ORACLE_SECONDS)") {
  const char* seconds = std::getenv("LIBSQL_GATE_ORACLE_SECONDS");
  if (!seconds || std::atol(seconds) <= 0) {
    MESSAGE("[skipped] oracle long run: set LIBSQL_GATE_ORACLE_SECONDS");
    std::printf("[skipped] oracle long run: set LIBSQL_GATE_ORACLE_SECONDS (scripts/oracle)\n");
    return;
  }
  const char* first = std::getenv("LIBSQL_GATE_ORACLE_SEED");
  std::uint64_t first_seed = first ? std::strtoull(first, nullptr, 10) : 1000;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::atol(seconds));
  OracleRun run = run_oracle(first_seed, UINT64_MAX - first_seed, 1000, deadline);
  MESSAGE(summary(run));
  std::printf("%s\n", summary(run).c_str());  // shown on success too (scripts/oracle)
  CHECK(run.findings == 0);
}
