#include "policy/authorizer_rules.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <vector>

#include "policy/drop_if_exists.hpp"
#include "policy/sql_tokenizer.hpp"
#include "policy/table_name.hpp"
#include "policy/vector_search.hpp"
#include "policy/virtual_table_sources.hpp"

namespace gate::policy {

namespace {

bool is_schema_table(std::string_view t) {
  return t == "sqlite_master" || t == "sqlite_schema" || t == "sqlite_temp_master" ||
         t == "sqlite_temp_schema";
}

bool is_internal_table(std::string_view t) {
  return t.starts_with("sqlite_");
}

bool is_write(Action a) {
  return a == Action::data_add || a == Action::data_update || a == Action::data_delete;
}

bool is_schema_change(int code) {
  switch (code) {
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
    case SQLITE_ALTER_TABLE: return true;
    default: return false;
  }
}

bool is_drop_of_named_object(int code) {
  return code == SQLITE_DROP_TABLE || code == SQLITE_DROP_VIEW || code == SQLITE_DROP_VTABLE ||
         code == SQLITE_DROP_TEMP_TABLE || code == SQLITE_DROP_TEMP_VIEW;
}

std::string_view first_keyword(std::string_view sql) {
  for (const auto& token : tokenize_sql(sql, 8)) {
    if (token.is_word("EXPLAIN") || token.is_word("QUERY") || token.is_word("PLAN")) continue;
    if (token.kind == SqlTokenKind::word) return token.text;
    if (!token.is(';')) break;
  }
  return {};
}

class RequirementBuilder {
 public:
  RequirementBuilder(StatementRequirements& out, const PolicyConfig& config, ObjectLookup& lookup)
      : out_(out), config_(config), lookup_(lookup) {}

  void add(std::optional<std::string> table, Action action) {
    Requirement r{std::move(table), action};
    if (std::find(out_.requirements.begin(), out_.requirements.end(), r) == out_.requirements.end()) {
      out_.requirements.push_back(std::move(r));
    }
  }

  void forbid(std::string reason, std::string detail) {
    if (!out_.forbidden) out_.forbidden = Forbidden{std::move(reason), std::move(detail)};
  }

  // TEMP objects are refused unless policy.allow_temp_objects. When allowed they
  // need the same grants as a main table of that name: the gate cannot tell a
  // session's private temp table from a main table it shadows by name alone, so it
  // asks for the stricter of the two.
  void temp_object(const std::string& name, Action action) {
    if (!config_.allow_temp_objects) {
      forbid("temp_object", "TEMP object \"" + name + "\" refused (policy.allow_temp_objects is false)");
    }
    add(name, action);
  }

  void schema_object(std::string_view written, std::string_view database, Action action) {
    std::string name = fold_identifier(written);
    if (database != "temp" && refuse_vector_shadow_write(name)) return;
    if (database == "temp") {
      temp_object(name, action);
    } else {
      add(name, action);
    }
  }

  // A data action on a table, with the rules SQLite's callbacks do not cover.
  void data_object(const std::string& table, bool temp, Action action, std::string_view inner,
                   int depth = 0) {
    if (!temp && vector_shadow(table, action)) return;
    if (temp) {
      temp_object(table, action);
    } else {
      add(table, action);
    }
    const ObjectFacts& facts = lookup_.facts(table, temp);
    if (is_write(action)) {
      // Pitfall "FTS5 shadow tables written without callbacks": a write to a
      // virtual table is whatever its module makes of it (FTS5's
      // `INSERT INTO docs(docs) VALUES('delete-all')` deletes every row through an
      // INSERT) and its shadow tables are written with no callback at all. So any
      // write to a virtual table needs every data write action on it.
      if (facts.is_virtual) {
        add(table, Action::data_add);
        add(table, Action::data_update);
        add(table, Action::data_delete);
      }
      // Pitfall "REPLACE's implicit delete": ON CONFLICT REPLACE in the table's own
      // definition turns any INSERT/UPDATE into a possible delete, with no DELETE callback.
      if (action != Action::data_delete && facts.replace_constraint) add(table, Action::data_delete);
      // ... and so does a REPLACE inside the trigger doing this write. The trigger
      // name (6th argument) only ever adds a requirement here (pitfall 3: spoofable).
      if (action != Action::data_delete && !inner.empty()) {
        const ObjectFacts& trigger = lookup_.facts(fold_identifier(inner), temp);
        if (trigger.trigger_uses_replace) add(table, Action::data_delete);
      }
    }
    // A shadow table is its virtual table's storage: touching it directly needs the
    // same action on the virtual table as well.
    if (facts.shadow_owner && depth == 0) data_object(*facts.shadow_owner, temp, action, inner, depth + 1);
    // SPEC §6: what a virtual table's module reads or writes on its own (an FTS
    // table's external content, the FTS table a vocabulary table reports on) needs
    // the same action. Chains (vocabulary → FTS → content) are short; bounded anyway.
    if (facts.is_virtual && depth < 4) {
      for (const auto& source : facts.module_tables) data_object(source, false, action, inner, depth + 1);
      if (facts.module_tables_unknown) add(std::nullopt, action);
    }
  }

 private:
  // A vector index's shadow tables hold the indexed table's vectors and row ids,
  // kept consistent by libSQL itself: reading one needs data_read on the table
  // they index (SPEC §6); writing one, or changing its schema, would corrupt the
  // index and is never forwarded. True when `table` is one (handled here).
  bool vector_shadow(const std::string& table, Action action) {
    if (action != Action::data_read) return refuse_vector_shadow_write(table);
    const ObjectFacts& facts = lookup_.facts(table, false);
    for (const auto& owner : facts.vector_shadow_owners) data_object(owner, false, Action::data_read, {});
    return !facts.vector_shadow_owners.empty();
  }

  bool refuse_vector_shadow_write(const std::string& table) {
    if (lookup_.facts(table, false).vector_shadow_owners.empty()) return false;
    forbid("vector_shadow_write", "table \"" + table +
                                      "\" stores a libSQL vector index: only libSQL writes it, never a statement");
    return true;
  }

  StatementRequirements& out_;
  const PolicyConfig& config_;
  ObjectLookup& lookup_;
};

Action data_action(int code) {
  switch (code) {
    case SQLITE_INSERT: return Action::data_add;
    case SQLITE_UPDATE: return Action::data_update;
    default: return Action::data_delete;
  }
}

// The statement's tokens, made once however many table-valued pragmas it reads
// (tokenizing per READ made analysis quadratic in the text's length).
class StatementTokens {
 public:
  explicit StatementTokens(std::string_view sql) : sql_(sql) {}
  const std::vector<SqlToken>& get() {
    if (!tokens_) tokens_ = tokenize_sql(sql_);
    return *tokens_;
  }

 private:
  std::string_view sql_;
  std::optional<std::vector<SqlToken>> tokens_;
};

// True for a single-quoted string literal. SQLite resolves anything else given
// as the argument — a bare word, [x], `x`, even "x" — as a column or an alias
// when one is in scope ("x" falls back to a string only when none is), so its
// value, and the table it names, is known only when the statement runs; a blob
// literal X'…' becomes whatever text its bytes spell.
bool is_text_literal(const SqlToken& token) {
  return token.kind == SqlTokenKind::string && !token.text.empty() && token.text.front() == '\'';
}

// `pragma_table_info('users')`: the table-valued form runs its PRAGMA only when
// stepped, so prepare reports no PRAGMA callback and no argument. Read the
// argument from the text; if it is not a text literal right there, or the pragma
// table is reached through a view/trigger/CTE, require data_read on all tables.
// Every occurrence of `eponymous_name` is judged in this one call.
void table_valued_pragma(RequirementBuilder& builder, std::string_view eponymous_name,
                         std::string_view pragma, bool reached_indirectly, StatementTokens& statement,
                         ObjectLookup& lookup) {
  bool needs_all = reached_indirectly;
  bool seen = false;
  const auto& tokens = statement.get();
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind != SqlTokenKind::word || fold_identifier(tokens[i].text) != eponymous_name) continue;
    seen = true;
    bool literal = i + 3 < tokens.size() && tokens[i + 1].is('(') && is_text_literal(tokens[i + 2]) &&
                   (tokens[i + 3].is(')') || tokens[i + 3].is(','));
    if (!literal) {
      needs_all = true;
      continue;
    }
    std::string table = normalize_table_name(tokens[i + 2].text);
    if (table.empty()) continue;  // pragma_table_info('') lists nothing
    if (pragma == "index_info" || pragma == "index_xinfo") {
      const ObjectFacts& facts = lookup.facts(table, false);
      if (!facts.index_table.empty()) table = facts.index_table;
    }
    builder.add(table, Action::data_read);
  }
  if (needs_all || !seen) builder.add(std::nullopt, Action::data_read);
}

}  // namespace

bool applies_to_schema_copy(std::span<const AuthorizerEvent> events) {
  return std::any_of(events.begin(), events.end(),
                     [](const AuthorizerEvent& e) { return is_schema_change(e.code); });
}

StatementRequirements requirements_from_events(std::span<const AuthorizerEvent> events,
                                               const PreparedStatementInfo& statement,
                                               const PolicyConfig& config, ObjectLookup& lookup) {
  StatementRequirements out;
  out.sql = std::string(statement.sql);
  RequirementBuilder builder(out, config, lookup);

  bool has_analyze = false, has_reindex = false, creates_index = false;
  std::set<std::string> dropped, altered, indexed;
  StatementTokens tokens(statement.sql);
  std::set<std::string> pragmas_judged;  // each table-valued pragma's occurrences are judged once
  for (const auto& e : events) {
    has_analyze = has_analyze || e.code == SQLITE_ANALYZE;
    has_reindex = has_reindex || e.code == SQLITE_REINDEX;
    if (e.code == SQLITE_CREATE_INDEX || e.code == SQLITE_CREATE_TEMP_INDEX) {
      creates_index = true;
      indexed.insert(fold_identifier(e.arg2));
    }
    if (is_drop_of_named_object(e.code)) dropped.insert(fold_identifier(e.arg1));
    if (e.code == SQLITE_ALTER_TABLE) altered.insert(fold_identifier(e.arg2));
  }
  bool ddl = applies_to_schema_copy(events) || has_analyze;
  out.changes_schema = ddl;

  // ANALYZE writes sqlite_stat1 and REINDEX rebuilds indexes, neither through a
  // write callback (pitfall "sqlite_stat1 ... written without callbacks"): both
  // need schema_update on all tables, whatever they name.
  if (has_analyze || (has_reindex && !creates_index)) {
    builder.add(std::nullopt, Action::schema_update);
    return out;
  }

  // Pitfall "virtual tables emit sqlite_master noise on first use": a first use
  // writes sqlite_master then reads its ROWID. Users can never write the schema
  // tables (that needs writable_schema, which is never forwarded), so such writes
  // are SQLite's own and are dropped, with the ROWID read that follows them.
  bool schema_noise = false;
  for (const auto& e : events) {
    switch (e.code) {
      case SQLITE_TRANSACTION:
      case SQLITE_SAVEPOINT: out.transaction_control = true; break;
      case SQLITE_SELECT:
      case SQLITE_RECURSIVE:
      case SQLITE_FUNCTION: break;
      case SQLITE_CREATE_TABLE:
      case SQLITE_CREATE_VIEW: builder.schema_object(e.arg1, e.database, Action::schema_add); break;
      case SQLITE_CREATE_VTABLE: {
        builder.schema_object(e.arg1, e.database, Action::schema_add);
        // SPEC §6: only the configured modules; the tables the module's arguments
        // name are read from creation on (an FTS5 content= table is indexed at once).
        const std::string module = fold_identifier(e.arg2);
        const auto& allowed = config.allowed_virtual_table_modules;
        if (std::find(allowed.begin(), allowed.end(), module) == allowed.end()) {
          builder.forbid("virtual_table_module", "CREATE VIRTUAL TABLE … USING " + module +
                                                     ": the module is not in policy.allowed_virtual_table_modules");
          break;
        }
        if (auto sources = virtual_table_sources(statement.sql)) {
          for (const auto& source : sources->tables) builder.data_object(source, false, Action::data_read, {});
          if (sources->unknown) builder.add(std::nullopt, Action::data_read);
        }
        break;
      }
      case SQLITE_CREATE_INDEX:
      case SQLITE_CREATE_TRIGGER:
        builder.schema_object(e.arg2, e.database, Action::schema_add);  // on their table
        break;
      case SQLITE_CREATE_TEMP_TABLE:
      case SQLITE_CREATE_TEMP_VIEW: builder.temp_object(fold_identifier(e.arg1), Action::schema_add); break;
      case SQLITE_CREATE_TEMP_INDEX:
      case SQLITE_CREATE_TEMP_TRIGGER:
        builder.temp_object(fold_identifier(e.arg2), Action::schema_add);
        break;
      case SQLITE_DROP_TABLE:
      case SQLITE_DROP_VIEW:
      case SQLITE_DROP_VTABLE: builder.schema_object(e.arg1, e.database, Action::schema_delete); break;
      case SQLITE_DROP_INDEX:
      case SQLITE_DROP_TRIGGER: builder.schema_object(e.arg2, e.database, Action::schema_delete); break;
      case SQLITE_DROP_TEMP_TABLE:
      case SQLITE_DROP_TEMP_VIEW: builder.temp_object(fold_identifier(e.arg1), Action::schema_delete); break;
      case SQLITE_DROP_TEMP_INDEX:
      case SQLITE_DROP_TEMP_TRIGGER:
        builder.temp_object(fold_identifier(e.arg2), Action::schema_delete);
        break;
      case SQLITE_ALTER_TABLE:  // arg1 is the database, arg2 the table
        builder.schema_object(e.arg2, e.arg1, Action::schema_update);
        break;
      case SQLITE_REINDEX:  // part of CREATE INDEX (building the new index)
        break;
      case SQLITE_INSERT:
      case SQLITE_UPDATE:
      case SQLITE_DELETE: {
        std::string table = fold_identifier(e.arg1);
        if (is_schema_table(table)) {
          schema_noise = true;
          break;
        }
        // DDL's own bookkeeping: ALTER renames in sqlite_sequence, DROP clears
        // sqlite_stat1, DROP deletes the dropped table's rows, ALTER rewrites its table.
        if (ddl && (is_internal_table(table) || altered.contains(table))) break;
        if (e.code == SQLITE_DELETE && dropped.contains(table)) break;
        builder.data_object(table, e.database == "temp", data_action(e.code), e.inner);
        break;
      }
      case SQLITE_READ: {
        std::string table = fold_identifier(e.arg1);
        if (is_schema_table(table)) {
          if (ddl) break;  // DDL reads the schema to rewrite it
          if (schema_noise && e.arg2 == "ROWID") break;
          builder.add(table == "sqlite_temp_master" || table == "sqlite_temp_schema" ? "sqlite_temp_master"
                                                                                     : "sqlite_master",
                      Action::data_read);
          break;
        }
        // DDL's own reads: CREATE INDEX reads the indexed columns to build it, ALTER
        // reads its table and sqlite_sequence.
        if (ddl && (is_internal_table(table) || indexed.contains(table) || altered.contains(table) ||
                    dropped.contains(table)))
          break;
        // `SELECT count(*) FROM t` reports a READ with an empty column and no
        // database (pitfall "names come back as written"/temp shadowing): SQLite
        // resolves an unqualified name to temp first, so do we.
        bool temp = e.database == "temp" || (e.database.empty() && lookup.facts(table, true).exists);
        const ObjectFacts& facts = lookup.facts(table, temp);
        // Reads through a view are reported against its tables, and `count(*)` on a
        // view reads none of its own columns: the view named as responsible needs
        // data_read too. (A CTE can spoof that name, pitfall 3 — which can only add
        // a requirement here, never remove one.)
        if (!e.inner.empty()) {
          std::string inner = fold_identifier(e.inner);
          if (lookup.facts(inner, false).is_view || lookup.facts(inner, true).is_view) {
            builder.add(inner, Action::data_read);
          }
        }
        if (!facts.exists) {
          // Not in the schema: an eponymous virtual table, or a CTE / sub-query
          // SQLite materialised (whose own reads of real tables are reported
          // separately). Only the former can reach data.
          if (table == "json_each" || table == "json_tree") break;  // pure functions of their arguments
          if (table.starts_with("pragma_")) {
            std::string pragma = table.substr(7);
            if (!pragma_allowed(config, pragma) || !pragma_takes_table_argument(pragma)) {
              builder.forbid("pragma",
                             "table-valued pragma " + table + " is never forwarded (policy.allowed_pragmas)");
            } else if (pragmas_judged.insert(table + (e.inner.empty() ? "" : "/indirect")).second) {
              table_valued_pragma(builder, table, pragma, !e.inner.empty(), tokens, lookup);
            }
            break;
          }
          // SPEC §6: dbstat (the layout and size of every table) and sqlite_dbpage
          // (every page's raw bytes) reveal tables the token may not read: denied.
          if (table == "dbstat" || table == "sqlite_dbpage") {
            builder.forbid("eponymous_table", table + " is never forwarded: it reveals other tables' layout or contents");
            break;
          }
          // sqlite_stmt (this connection's statements): only with a grant naming it
          // (or all tables).
          if (table == "sqlite_stmt") builder.add(table, Action::data_read);
          break;
        }
        builder.data_object(table, temp, Action::data_read, e.inner);
        break;
      }
      case SQLITE_PRAGMA: {
        // Only allowed, table-argument pragmas and the foreign-key switches get here
        // (authorizer_recorder denies the rest).
        std::string pragma = fold_identifier(e.arg1);
        if (is_foreign_key_pragma(pragma)) {
          // SPEC §6: reading is always allowed; setting changes how every later
          // write of the connection is checked (what @libsql/client's migrate()
          // does around its migrations), so it needs schema_update on all.
          if (e.has_arg2) builder.add(std::nullopt, Action::schema_update);
          break;
        }
        if (!e.has_arg2 || e.arg2.empty()) break;  // `PRAGMA table_info` with no table lists nothing
        std::string table = fold_identifier(e.arg2);
        if (pragma == "index_info" || pragma == "index_xinfo") {
          const ObjectFacts& facts = lookup.facts(table, e.database == "temp");
          if (!facts.index_table.empty()) table = facts.index_table;
        }
        builder.add(table, Action::data_read);
        break;
      }
      case kVectorTopKRead:
        // vector_top_k returns the indexed table's row ids and vectors; an index
        // named at run time (a parameter) may be any table's.
        if (e.has_arg1) {
          builder.data_object(e.arg1, false, Action::data_read, {});
        } else {
          builder.add(std::nullopt, Action::data_read);
        }
        break;
      case SQLITE_ATTACH:
        builder.forbid("attach", "ATTACH is never forwarded: it opens another database file");
        break;
      case SQLITE_DETACH: builder.forbid("detach", "DETACH is never forwarded"); break;
      default:
        // An action this build does not know: fail closed.
        builder.forbid("unknown_action",
                       "authorizer action " + std::to_string(e.code) + " is not understood");
        break;
    }
  }

  // Pitfall "REPLACE's implicit delete": `REPLACE INTO`, `INSERT OR REPLACE`,
  // `UPDATE OR REPLACE` delete conflicting rows with no DELETE callback.
  bool writes = std::any_of(out.requirements.begin(), out.requirements.end(), [](const Requirement& r) {
    return r.action == Action::data_add || r.action == Action::data_update;
  });
  if (writes && mentions_replace_conflict(statement.sql)) {
    auto current = out.requirements;
    for (const auto& r : current) {
      if (r.action == Action::data_add || r.action == Action::data_update)
        builder.add(r.table, Action::data_delete);
    }
  }

  // Pitfall "VACUUM and some IF [NOT] EXISTS forms produce no callback": a
  // statement that writes but names nothing it writes is refused.
  // `DROP TRIGGER IF EXISTS` of a trigger the copy lacks is even read-only; the
  // upstream may have it (a stale copy), so DDL naming nothing is refused too.
  std::string keyword = fold_identifier(first_keyword(statement.sql));
  bool ddl_keyword = keyword == "create" || keyword == "drop" || keyword == "alter";
  if ((!statement.readonly || ddl_keyword) && out.requirements.empty() && !out.transaction_control &&
      !out.forbidden) {
    const auto drop = keyword == "drop" ? parse_drop_if_exists(statement.sql) : std::nullopt;
    if (drop && (drop->schema.empty() || drop->schema == "main" || drop->schema == "temp")) {
      // SPEC §6: the object is not in the copy; the drop needs what it would
      // need if it were (a no-op upstream when upstream lacks it too).
      builder.schema_object(drop->name, drop->schema, Action::schema_delete);
      out.changes_schema = true;  // upstream may hold the object: refresh after it ran
      return out;
    }
    if (keyword == "vacuum") {
      builder.forbid("vacuum", "VACUUM is never forwarded (VACUUM INTO writes a file)");
    } else {
      builder.forbid("write_without_table", "the statement writes but SQLite reports no table it writes");
    }
  }
  return out;
}

}  // namespace gate::policy
