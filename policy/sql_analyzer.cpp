#include "policy/sql_analyzer.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "policy/analysis_memory.hpp"
#include "policy/authorizer_rules.hpp"
#include "policy/decision.hpp"
#include "policy/libsql_statement_rules.hpp"
#include "policy/libsql_statements.hpp"
#include "policy/program_rules.hpp"
#include "policy/program_witness.hpp"
#include "policy/sql_tokenizer.hpp"
#include "policy/sqlite_connection.hpp"
#include "policy/table_name.hpp"
#include "policy/vector_search.hpp"
#include "policy/virtual_table_sources.hpp"

namespace gate::policy {

namespace {

constexpr std::array<std::string_view, 11> kShadowSuffixes{
    "content", "segments", "segdir", "docsize", "stat",  // fts3/fts4
    "data",    "idx",      "config",                     // fts5 (+content, docsize)
    "node",    "rowid",    "parent",                     // rtree
};

bool has_replace_constraint(std::string_view create_sql) {
  auto tokens = tokenize_sql(create_sql);
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (tokens[i].is_word("CONFLICT") && tokens[i + 1].is_word("REPLACE")) return true;
  }
  return false;
}

// Runs a statement of our own to completion (passive recorder).
void run_quietly(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return;
  SqliteStmt stmt(raw);
  while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
  }
}

// `CREATE [TEMP] TABLE [IF NOT EXISTS] [schema.]name AS <select>` becomes
// `CREATE ... name AS SELECT * FROM (<select>) LIMIT 0`; nullopt for other DDL.
std::optional<std::string> create_table_as_without_rows(std::string_view sql) {
  auto t = tokenize_sql(sql, 12);
  auto head = parse_create_table_head(t);
  if (!head || head->virtual_table) return std::nullopt;
  std::size_t i = head->after_name;
  if (i >= t.size() || !t[i].is_word("AS")) return std::nullopt;
  std::size_t select_start = static_cast<std::size_t>(t[i].text.data() + t[i].text.size() - sql.data());
  std::string_view select = trim_whitespace(sql.substr(select_start));
  while (!select.empty() && select.back() == ';')
    select = trim_whitespace(select.substr(0, select.size() - 1));
  return std::string(sql.substr(0, select_start)) + " SELECT * FROM (" + std::string(select) + "\n) LIMIT 0";
}

// The eponymous virtual tables a program may open without a schema row naming
// them: the JSON functions, the allowed table-valued pragmas, and the two that
// need a grant naming them (authorizer_rules).
std::vector<std::string> eponymous_virtual_tables(const PolicyConfig& config) {
  std::vector<std::string> names{"json_each", "json_tree", "dbstat", "sqlite_stmt"};
  for (const auto& pragma : config.allowed_pragmas) {
    if (pragma_takes_table_argument(fold_identifier(pragma))) names.push_back("pragma_" + fold_identifier(pragma));
  }
  return names;
}

constexpr std::string_view kExplain = "EXPLAIN ";

}  // namespace

// One thread's private clone of a snapshot, with the lookups the rules need.
struct SqlAnalyzer::Copy final : ObjectLookup, VectorIndexCatalog {
  SqliteDb db;
  std::shared_ptr<const SchemaSnapshot> snapshot;
  AuthorizerRecorder* recorder = nullptr;
  std::array<SqliteStmt, 2> lookup_statements;  // main, temp
  std::array<std::unordered_map<std::string, ObjectFacts>, 2> memo;
  ProgramObjects program_objects;

  explicit Copy(const PolicyConfig& config) : program_objects(eponymous_virtual_tables(config)) {}

  // Pitfall "virtual tables emit sqlite_master noise on first use per
  // connection" (FTS5 even prepares a PRAGMA): touch each one, unrecorded. SQLite
  // disconnects them whenever the schema changes, so this runs again after DDL is
  // applied to the copy and after the batch savepoint is rolled back.
  void warm_up(const PolicyConfig& config) {
    auto mode = recorder->mode();
    recorder->set_mode(AuthorizerRecorder::Mode::passive);
    sqlite3* handle = db.get();
    std::vector<std::string> warm{"SELECT * FROM json_each('[]')", "SELECT * FROM json_tree('[]')"};
    for (const auto& pragma : config.allowed_pragmas) {
      if (pragma_takes_table_argument(fold_identifier(pragma))) {
        warm.push_back("SELECT * FROM pragma_" + fold_identifier(pragma) + "('sqlite_schema')");
      }
    }
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(handle, "SELECT name, sql FROM main.sqlite_schema WHERE type = 'table'", -1, &raw,
                           nullptr) == SQLITE_OK) {
      SqliteStmt list(raw);
      while (sqlite3_step(list.get()) == SQLITE_ROW) {
        auto* name = reinterpret_cast<const char*>(sqlite3_column_text(list.get(), 0));
        auto* sql = reinterpret_cast<const char*>(sqlite3_column_text(list.get(), 1));
        if (name && sql && is_create_virtual(sql)) {
          warm.push_back("SELECT * FROM " + quote_identifier(name) + " LIMIT 0");
        }
      }
    }
    for (const auto& sql : warm) run_quietly(handle, sql);
    program_objects.learn(handle);
    recorder->set_mode(mode);
  }

  // Asked by vector_top_k while a user statement is planned (vector_search.hpp).
  std::optional<std::string> vector_index_table(std::string_view index_name) override {
    auto mode = recorder->mode();
    recorder->set_mode(AuthorizerRecorder::Mode::passive);
    auto table = find_vector_index_table(db.get(), index_name);
    recorder->set_mode(mode);
    return table;
  }

  void vector_top_k_reads(const std::optional<std::string>& table) override {
    AuthorizerEvent event;
    event.code = kVectorTopKRead;
    event.has_arg1 = table.has_value();
    event.arg1 = table.value_or("");
    event.database = "main";
    recorder->add_event(std::move(event));
  }

  void forget_facts() {
    memo[0].clear();
    memo[1].clear();
    program_objects.forget();
  }

  const ObjectFacts& facts(std::string_view canonical_name, bool temp) override {
    auto& cache = memo[temp ? 1 : 0];
    std::string key(canonical_name);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    ObjectFacts facts = compute(key, temp);
    return cache.emplace(std::move(key), std::move(facts)).first->second;
  }

  ObjectFacts compute(const std::string& name, bool temp) {
    ObjectFacts out;
    auto mode = recorder->mode();
    recorder->set_mode(AuthorizerRecorder::Mode::passive);
    sqlite3_stmt* stmt = lookup_statements[temp ? 1 : 0].get();
    std::string type, table, sql;
    if (stmt) {
      sqlite3_bind_text(stmt, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
      if (sqlite3_step(stmt) == SQLITE_ROW) {
        out.exists = true;
        auto text = [&](int col) {
          auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
          return std::string(p ? p : "");
        };
        type = text(0);
        table = text(1);
        sql = text(2);
      }
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
    if (out.exists && type == "table" && !temp) out.vector_shadow_owners = vector_shadow_owners(db.get(), name);
    recorder->set_mode(mode);
    if (!out.exists) return out;
    const auto& stand_ins = snapshot->stand_in_virtual_tables();
    if (type == "table") {
      out.is_virtual = is_create_virtual(sql) ||
                       (!temp && std::find(stand_ins.begin(), stand_ins.end(), name) != stand_ins.end());
      out.replace_constraint = !out.is_virtual && has_replace_constraint(sql);
      if (auto sources = virtual_table_sources(sql)) {
        out.module_tables = std::move(sources->tables);
        out.module_tables_unknown = sources->unknown;
      }
      for (std::size_t cut = name.find('_'); cut != std::string::npos; cut = name.find('_', cut + 1)) {
        std::string_view suffix = std::string_view(name).substr(cut + 1);
        if (std::find(kShadowSuffixes.begin(), kShadowSuffixes.end(), suffix) == kShadowSuffixes.end())
          continue;
        std::string owner = name.substr(0, cut);
        if (facts(owner, temp).is_virtual) {
          out.shadow_owner = owner;
          break;
        }
      }
    } else if (type == "view") {
      out.is_view = true;
    } else if (type == "index") {
      out.index_table = fold_identifier(table);
    } else if (type == "trigger") {
      out.trigger_uses_replace = mentions_replace_conflict(sql);
    }
    return out;
  }
};

struct SqlAnalyzer::BatchState {
  bool savepoint_open = false;
  bool applied_ddl = false;
};

SqlAnalyzer::SqlAnalyzer(const SchemaSource& schema, PolicyConfig config, AnalyzerOptions options)
    : schema_(schema),
      config_(std::move(config)),
      options_(options),
      recorder_(config_),
      cache_(options.cache_capacity, options.cache_max_sql_bytes) {}

SqlAnalyzer::~SqlAnalyzer() = default;

std::uint64_t SqlAnalyzer::schema_version() const {
  return copy_ && copy_->snapshot ? copy_->snapshot->version() : 0;
}

void SqlAnalyzer::follow_schema() {
  std::uint64_t generation = schema_.generation();
  if (generation == seen_generation_ && copy_) return;
  seen_generation_ = generation;
  auto snapshot = schema_.current();
  if (!snapshot) {
    copy_.reset();
    copy_error_ = "no schema snapshot published";
    return;
  }
  if (copy_ && copy_->snapshot && copy_->snapshot->version() == snapshot->version()) return;

  auto copy = std::make_unique<Copy>(config_);
  copy->db = snapshot->open_copy(copy_error_, copy.get());
  if (!copy->db) {
    copy_.reset();
    return;
  }
  copy_error_.clear();
  copy->snapshot = std::move(snapshot);
  copy->recorder = &recorder_;
  sqlite3* db = copy->db.get();
  recorder_.set_mode(AuthorizerRecorder::Mode::passive);
  recorder_.install(db);

  const char* lookups[2] = {
      "SELECT type, tbl_name, sql FROM main.sqlite_schema WHERE name = ?1 COLLATE NOCASE LIMIT 1",
      "SELECT type, tbl_name, sql FROM temp.sqlite_schema WHERE name = ?1 COLLATE NOCASE LIMIT 1",
  };
  for (int i = 0; i < 2; ++i) {
    sqlite3_stmt* raw = nullptr;
    sqlite3_prepare_v3(db, lookups[i], -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    copy->lookup_statements[i].reset(raw);
  }

  copy->warm_up(config_);
  copy_ = std::move(copy);
}

SharedAnalysis SqlAnalyzer::analyze(std::string_view sql) {
  // The hot path: one generation check and one cache probe, no allocation.
  follow_schema();
  if (!copy_) {
    std::string_view one[1] = {sql};
    return analyze_batch(one).front();
  }
  std::uint64_t version = copy_->snapshot->version();
  if (auto hit = cache_.find(version, sql)) return hit;
  BatchState batch;
  auto analysis = analyze_text(sql, batch, false);
  cache_.insert(version, sql, analysis);
  end_batch(batch);
  return analysis;
}

std::vector<SharedAnalysis> SqlAnalyzer::analyze_batch(std::span<const std::string_view> texts) {
  follow_schema();
  std::vector<SharedAnalysis> results;
  results.reserve(texts.size());
  if (!copy_) {
    for (auto text : texts) {
      StatementRequirements r;
      r.sql = std::string(trim_whitespace(text));
      r.parse_error = ParseError{"the gate has no schema copy to analyse against: " + copy_error_};
      results.push_back(std::make_shared<const Analysis>(Analysis{std::move(r)}));
    }
    return results;
  }
  std::uint64_t version = copy_->snapshot->version();
  BatchState batch;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    bool more = i + 1 < texts.size();
    // A cached result holds for a text analysed from the snapshot's own schema:
    // not once earlier DDL of this batch changed the copy, and not for a DDL text
    // that later texts need applied.
    bool clean = !batch.applied_ddl;
    if (clean) {
      if (auto hit = cache_.find(version, texts[i])) {
        bool hit_changes_schema = std::any_of(
            hit->begin(), hit->end(), [](const StatementRequirements& s) { return s.changes_schema; });
        if (!more || !hit_changes_schema) {
          results.push_back(std::move(hit));
          continue;
        }
      }
    }
    auto analysis = analyze_text(texts[i], batch, more);
    if (clean) cache_.insert(version, texts[i], analysis);
    results.push_back(std::move(analysis));
  }
  end_batch(batch);
  return results;
}

SharedAnalysis SqlAnalyzer::analyze_text(std::string_view text, BatchState& batch, bool more_texts_follow) {
  SharedAnalysis analysis;
  bool exceeded = false;
  {
    AnalysisMemoryBound bound(options_.max_analysis_bytes);
    analysis = analyze_text_unbounded(text, batch, more_texts_follow);
    exceeded = bound.exceeded();
  }
  if (!exceeded) return analysis;
  // SQLite failed an allocation somewhere in it (and recovered): whatever the
  // analysis says, it is incomplete. The text is refused whole.
  StatementRequirements r;
  r.sql = std::string(trim_whitespace(text.substr(0, 256)));
  r.forbidden = Forbidden{std::string(kReasonTooComplex),
                          "analysing this SQL text needs more than " +
                              std::to_string(options_.max_analysis_bytes / (1024 * 1024)) +
                              " MiB: simplify it (fewer nested sub-queries or CTEs)"};
  return std::make_shared<const Analysis>(Analysis{std::move(r)});
}

SharedAnalysis SqlAnalyzer::analyze_text_unbounded(std::string_view text, BatchState& batch,
                                                   bool more_texts_follow) {
  auto out = std::make_shared<Analysis>();
  sqlite3* db = copy_->db.get();
  // SPEC §6: analysis is bounded; a text over policy.max_statement_bytes is not
  // looked at beyond its length.
  if (text.size() > static_cast<std::uint64_t>(config_.max_statement_bytes)) {
    StatementRequirements r;
    r.sql = std::string(trim_whitespace(text.substr(0, 256)));
    r.forbidden = Forbidden{std::string(kReasonTooComplex),
                            "SQL text of " + std::to_string(text.size()) + " bytes is over policy.max_statement_bytes (" +
                                std::to_string(config_.max_statement_bytes) + "); send smaller statements"};
    out->push_back(std::move(r));
    return out;
  }
  // SQLite stops reading at a NUL byte, so text after one would never be analysed
  // while an upstream that splits statements itself might run it: refuse it.
  bool has_nul = text.find('\0') != std::string_view::npos;
  // (Room is left for the EXPLAIN prefix written in front of each statement.)
  if (text.size() > static_cast<std::size_t>(INT_MAX) - kExplain.size() || has_nul) {
    StatementRequirements r;
    r.sql = std::string(trim_whitespace(text.substr(0, std::min<std::size_t>(text.size(), 4096))));
    r.parse_error = ParseError{has_nul ? "SQL text contains a NUL byte" : "SQL text too long"};
    out->push_back(std::move(r));
    return out;
  }
  // Both witnesses come from one compile: each statement is prepared as
  // `EXPLAIN <statement>` with the recording authorizer. EXPLAIN changes only what
  // stepping returns (the program instead of its rows): the same code is generated,
  // the same callbacks fire, and sqlite3_stmt_readonly answers for the statement
  // itself. A second prepare would double the cost of every uncached analysis.
  // The prefix is written in place in front of each statement of one copy of the
  // text (over bytes already analysed), so a long text costs one copy, not one per
  // statement.
  std::string explain_text;
  explain_text.reserve(kExplain.size() + text.size());
  explain_text.append(kExplain).append(text);
  const char* position = text.data();
  const char* end = text.data() + text.size();
  while (position < end) {
    // libSQL statements SQLite cannot parse (libsql_statements.hpp): ALTER COLUMN
    // and CREATE/DROP FUNCTION are analysed by our rules, RANDOM ROWID tables are
    // prepared without the option.
    auto libsql = recognise_libsql_statement(std::string_view(position, static_cast<std::size_t>(end - position)));
    if (libsql && (libsql->kind != LibsqlStatement::Kind::random_rowid_table || !libsql->refused.empty())) {
      std::string_view statement_sql = trim_whitespace(std::string_view(position, libsql->length));
      position += libsql->length;
      bool keep = more_texts_follow ||
                  !trim_whitespace(std::string_view(position, static_cast<std::size_t>(end - position))).empty();
      if (keep && !batch.savepoint_open) {
        batch.savepoint_open = exec_sql(db, "SAVEPOINT libsql_gate_batch").empty();
        keep = batch.savepoint_open;
      }
      auto r = libsql_statement_requirements(*libsql, statement_sql, db, config_, *copy_, keep);
      if (libsql->kind == LibsqlStatement::Kind::alter_column) {
        // The table was recreated (and, unless kept, restored): SQLite disconnected
        // the virtual tables meanwhile.
        copy_->forget_facts();
        copy_->warm_up(config_);
      }
      if (keep && !r.forbidden && !r.parse_error) batch.applied_ddl = batch.applied_ddl || r.changes_schema;
      out->push_back(std::move(r));
      if (out->back().parse_error) break;  // as for any statement that does not prepare
      continue;
    }
    const auto offset = static_cast<std::size_t>(position - text.data());
    const auto remaining = static_cast<std::size_t>(end - position);
    bool is_pragma = starts_with_pragma(std::string_view(position, remaining));
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = SQLITE_OK;
    bool program_listed = false;
    SqliteStmt statement;
    if (libsql) {
      // A RANDOM ROWID table: SQLite compiles it without the option (the same
      // table otherwise), as EXPLAIN so that its program is read too; errors are
      // SQLite's own for the statement without the option.
      const std::string explained = std::string(kExplain) + libsql->sqlite_sql;
      recorder_.begin_statement(false);
      rc = sqlite3_prepare_v2(db, explained.c_str(), static_cast<int>(explained.size()), &raw, nullptr);
      statement.reset(raw);
      recorder_.set_mode(AuthorizerRecorder::Mode::passive);
      program_listed = rc == SQLITE_OK && statement && sqlite3_stmt_isexplain(statement.get()) == 1;
      if (!program_listed) {
        statement.reset();
        recorder_.begin_statement(false);
        raw = nullptr;
        rc = sqlite3_prepare_v2(db, libsql->sqlite_sql.c_str(), static_cast<int>(libsql->sqlite_sql.size()), &raw,
                                nullptr);
        statement.reset(raw);
        recorder_.set_mode(AuthorizerRecorder::Mode::passive);
      }
      tail = position + libsql->length;
    } else {
      char* explained = explain_text.data() + offset;
      std::memcpy(explained, kExplain.data(), kExplain.size());
      recorder_.begin_statement(is_pragma);
      const char* explained_tail = nullptr;
      rc = sqlite3_prepare_v2(db, explained, static_cast<int>(remaining + kExplain.size()), &raw, &explained_tail);
      statement.reset(raw);
      recorder_.set_mode(AuthorizerRecorder::Mode::passive);
      // isexplain 2 is EXPLAIN QUERY PLAN: the client's text began "QUERY PLAN",
      // which only parses after our prefix.
      program_listed = rc == SQLITE_OK && statement && sqlite3_stmt_isexplain(statement.get()) == 1;
      if (program_listed) {
        tail = explained_tail ? text.data() + (explained_tail - explain_text.data() - kExplain.size()) : end;
      } else {
        // An empty statement, the client's own EXPLAIN, or text that does not
        // prepare: prepared as written, so errors and tails are SQLite's own for it.
        statement.reset();
        recorder_.begin_statement(is_pragma);
        raw = nullptr;
        rc = sqlite3_prepare_v2(db, position, static_cast<int>(remaining), &raw, &tail);
        statement.reset(raw);
        recorder_.set_mode(AuthorizerRecorder::Mode::passive);
        if (rc == SQLITE_OK && statement && tail) {
          // EXPLAIN cannot precede the empty statements (";") SQLite skips before
          // this one, nor the client's own EXPLAIN [QUERY PLAN] (which needs what
          // its statement needs, so its statement's program is read). List the
          // program from where that statement starts, and only if SQLite compiles
          // the very same statement there: the same end and the same callbacks.
          auto tokens = tokenize_sql(std::string_view(position, static_cast<std::size_t>(tail - position)));
          std::size_t first = 0;
          while (first < tokens.size() && tokens[first].is(';')) ++first;
          int explain = sqlite3_stmt_isexplain(statement.get());
          if (explain > 0 && first < tokens.size() && tokens[first].is_word("EXPLAIN")) ++first;
          if (explain == 2 && first + 1 < tokens.size() && tokens[first].is_word("QUERY") &&
              tokens[first + 1].is_word("PLAN")) {
            first += 2;
          }
          if (first > 0 && first < tokens.size()) {
            std::vector<AuthorizerEvent> as_written = recorder_.events();
            const auto start = static_cast<std::size_t>(tokens[first].text.data() - text.data());
            std::memcpy(explain_text.data() + start, kExplain.data(), kExplain.size());
            recorder_.begin_statement(is_pragma);
            raw = nullptr;
            explained_tail = nullptr;
            int listed_rc = sqlite3_prepare_v2(db, explain_text.data() + start,
                                               static_cast<int>(explain_text.size() - start), &raw, &explained_tail);
            SqliteStmt listed(raw);
            recorder_.set_mode(AuthorizerRecorder::Mode::passive);
            program_listed = listed_rc == SQLITE_OK && listed && sqlite3_stmt_isexplain(listed.get()) == 1 &&
                             explained_tail &&
                             explained_tail - explain_text.data() ==
                                 tail - text.data() + static_cast<std::ptrdiff_t>(kExplain.size()) &&
                             recorder_.events() == as_written;
            if (program_listed) statement = std::move(listed);
          }
        }
      }
    }
    if (rc != SQLITE_OK) {
      // SQLite stops at the error, so where this statement ends is unknown: it and
      // the rest of the text are reported together (the request is refused anyway).
      StatementRequirements r;
      r.sql =
          std::string(trim_whitespace(std::string_view(position, static_cast<std::size_t>(end - position))));
      if (recorder_.denial()) {
        r.forbidden = *recorder_.denial();
      } else {
        r.parse_error = ParseError{sqlite3_errmsg(db)};
      }
      out->push_back(std::move(r));
      break;
    }
    if (!tail || tail <= position) tail = end;
    std::string_view statement_sql =
        trim_whitespace(std::string_view(position, static_cast<std::size_t>(tail - position)));
    position = tail;
    if (!statement) continue;  // empty statement or only a comment

    PreparedStatementInfo info{statement_sql, sqlite3_stmt_readonly(statement.get()) != 0};
    StatementRequirements r = requirements_from_events(recorder_.events(), info, config_, *copy_);
    if (program_listed) {
      if (!copy_->program_objects.learned()) copy_->warm_up(config_);
      std::vector<OpenedObject> opened = copy_->program_objects.read(statement.get());
      bool unknown_virtual = std::any_of(opened.begin(), opened.end(), [](const OpenedObject& o) {
        return o.kind == OpenedKind::unknown_virtual_table;
      });
      if (unknown_virtual && learn_eponymous_tables()) opened = copy_->program_objects.read(statement.get());
      apply_program_witness(r, std::move(opened), recorder_.events(), config_, *copy_);
    } else if (!r.forbidden) {
      r.forbidden = Forbidden{"program_unreadable", "the statement's program could not be read (EXPLAIN failed)"};
    }
    bool later_statements =
        more_texts_follow ||
        !trim_whitespace(std::string_view(position, static_cast<std::size_t>(end - position))).empty();
    if (later_statements && !r.forbidden && applies_to_schema_copy(recorder_.events())) {
      // A RANDOM ROWID table is applied as SQLite can compile it, without the option.
      apply_to_copy(libsql ? std::string_view(libsql->sqlite_sql) : statement_sql, batch);
    }
    out->push_back(std::move(r));
  }
  return out;
}

bool SqlAnalyzer::learn_eponymous_tables() {
  // A virtual table the copy does not declare and warm-up did not meet (an
  // extension's table-valued function): the authorizer named it in a READ, which
  // is what makes it a candidate; its address then tells whether it is the one
  // opened. Names the schema has are tables, views or CTE names, never this.
  bool learned = false;
  for (const AuthorizerEvent& event : recorder_.events()) {
    if (event.code != SQLITE_READ || event.arg1.empty()) continue;
    std::string name = fold_identifier(event.arg1);
    if (copy_->facts(name, false).exists || copy_->facts(name, true).exists) continue;
    learned = copy_->program_objects.learn_virtual_table(copy_->db.get(), name) || learned;
  }
  return learned;
}

void SqlAnalyzer::apply_to_copy(std::string_view statement_sql, BatchState& batch) {
  // The only user statement ever stepped: allowed DDL, on the schema-only copy,
  // inside our savepoint, with ATTACH/load_extension still refused by the passive
  // authorizer. It must not cost unbounded time or memory either: a CREATE TABLE
  // AS SELECT over an endless recursive CTE, or one producing huge blobs, is
  // applied as `CREATE TABLE t AS SELECT * FROM (<its select>) LIMIT 0` (same
  // columns, no rows), under a VM step budget, a value-size limit and a cap on the
  // in-memory database's size. Temp storage is in memory (sqlite_connection.cpp).
  sqlite3* db = copy_->db.get();
  if (!batch.savepoint_open) {
    if (!exec_sql(db, "SAVEPOINT libsql_gate_batch").empty()) return;
    batch.savepoint_open = true;
  }
  // The analysed statement was compiled under EXPLAIN (stepping it lists its
  // program), so the statement applied is compiled again from its text.
  SqliteStmt applied;
  auto compile = [&](std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) == SQLITE_OK) {
      applied.reset(raw);
    }
  };
  if (auto columns_only = create_table_as_without_rows(statement_sql)) compile(*columns_only);
  if (!applied) compile(statement_sql);
  if (!applied) return;
  sqlite3_stmt* to_step = applied.get();

  struct Budget {
    long remaining;
  } budget{options_.ddl_step_budget / 1000 + 1};
  sqlite3_progress_handler(
      db, 1000, [](void* p) -> int { return --static_cast<Budget*>(p)->remaining < 0 ? 1 : 0; }, &budget);
  int length_limit = sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1024 * 1024);
  sqlite3_int64 size_limit = static_cast<sqlite3_int64>(copy_->snapshot->image_bytes()) + 64 * 1024 * 1024;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_SIZE_LIMIT, &size_limit);
  while (sqlite3_step(to_step) == SQLITE_ROW) {
  }
  sqlite3_reset(to_step);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, length_limit);
  sqlite3_progress_handler(db, 0, nullptr, nullptr);
  batch.applied_ddl = true;
  copy_->forget_facts();
  copy_->warm_up(config_);
}

void SqlAnalyzer::end_batch(BatchState& batch) {
  if (!batch.savepoint_open) return;
  sqlite3* db = copy_->db.get();
  std::string error = exec_sql(db, "ROLLBACK TO libsql_gate_batch; RELEASE libsql_gate_batch;");
  copy_->forget_facts();
  if (!error.empty()) {
    // The copy may now differ from the snapshot: drop it, the next call clones afresh.
    copy_.reset();
    return;
  }
  copy_->warm_up(config_);
}

}  // namespace gate::policy
