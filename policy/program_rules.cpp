#include "policy/program_rules.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace gate::policy {

namespace {

bool is_data_write(Action a) {
  return a == Action::data_add || a == Action::data_update || a == Action::data_delete;
}

bool is_schema_action(Action a) {
  return a == Action::schema_add || a == Action::schema_update || a == Action::schema_delete;
}

class WitnessCheck {
 public:
  WitnessCheck(StatementRequirements& out, std::span<const AuthorizerEvent> events, const PolicyConfig& config,
               ObjectLookup& lookup)
      : out_(out), events_(events), config_(config), lookup_(lookup) {}

  void check(const OpenedObject& object) {
    switch (object.kind) {
      case OpenedKind::schema_table:
        // Always readable (SPEC §5 rule 7); written only by DDL, whose own
        // requirements the authorizer reported (users cannot write it otherwise).
        if (object.write && !out_.changes_schema) {
          forbid("program_schema_write", "the statement's program writes the schema table outside DDL");
        }
        return;
      case OpenedKind::new_btree:
        // Only a statement that creates a b-tree fills one whose root is in a
        // register (CREATE TABLE … AS SELECT, CREATE INDEX, CREATE VIRTUAL TABLE,
        // ANALYZE creating sqlite_stat1); what fills it is opened, and checked, too.
        if (!out_.changes_schema) {
          forbid("program_unmapped", "the statement's program creates a b-tree outside DDL");
        }
        return;
      case OpenedKind::unmapped:
      case OpenedKind::unknown_virtual_table:
        forbid("program_unmapped",
               "the statement's program opens a table the gate cannot name (or runs SQL of its own)");
        return;
      case OpenedKind::table:
      case OpenedKind::virtual_table: break;
    }
    const std::string& table = object.table;
    if (object.temp && !config_.allow_temp_objects) {
      forbid("temp_object", "TEMP object \"" + table + "\" refused (policy.allow_temp_objects is false)");
      return;
    }
    // DDL builds, rewrites, empties and drops the table it names (CREATE INDEX
    // reads it, DROP deletes its rows, ALTER … DROP COLUMN rewrites it) and keeps
    // SQLite's own tables (sqlite_sequence, sqlite_stat1) in step: the schema
    // action the authorizer reported on that table is what SPEC §6 asks for it.
    // REINDEX and ANALYZE (schema_update on all tables) likewise rebuild indexes
    // and write sqlite_stat1.
    if (has_schema_action_on(table) || (out_.changes_schema && table.starts_with("sqlite_"))) return;
    // AUTOINCREMENT keeps its counter in sqlite_sequence whenever its table gets a
    // row, with no callback (DESIGN.md pitfall): part of the reported INSERT/UPDATE.
    if (table == "sqlite_sequence" && (has_any(Action::data_add) || has_any(Action::data_update))) return;

    if (object.write) {
      bool reported = std::any_of(out_.requirements.begin(), out_.requirements.end(), [&](const Requirement& r) {
        return is_data_write(r.action) && r.table == table;
      });
      if (!reported) {
        forbid("program_unreported_write",
               "the statement's program writes table \"" + table + "\" but SQLite reported no write of it");
      }
      return;
    }
    if (object.kind == OpenedKind::virtual_table) {
      if (table == "json_each" || table == "json_tree") return;  // pure functions of their arguments
      // An eponymous table other than these two (needing a grant naming them) is
      // judged by the authorizer rules from its READ callback — a pragma_* from its
      // argument, an extension's function from what it reads; one the program
      // opens without that callback cannot be judged.
      bool eponymous = !lookup_.facts(table, object.temp).exists;
      if (eponymous && table != "dbstat" && table != "sqlite_stmt") {
        bool reported = std::any_of(events_.begin(), events_.end(), [&](const AuthorizerEvent& e) {
          return e.code == SQLITE_READ && fold_identifier(e.arg1) == table;
        });
        if (!reported) {
          forbid("program_unreported_virtual_table",
                 "the statement's program reads " + table + " but SQLite reported no read of it");
        }
        return;
      }
    }
    // UPDATE and DELETE scan the table they change to find its rows (a first pass
    // over rowids, a virtual table's cursor) without reading a column: reading
    // columns of it is reported by the authorizer as data_read, a scan is part of
    // the reported data_update / data_delete (SPEC §6: UPDATE → data_update).
    if (has_on(table, Action::data_update) || has_on(table, Action::data_delete)) return;
    // A libSQL vector index's shadow table holds the indexed table's vectors and
    // row ids: reading it is reading that table (as in authorizer_rules).
    if (object.kind == OpenedKind::table && !object.temp) {
      const ObjectFacts& facts = lookup_.facts(table, false);
      if (!facts.vector_shadow_owners.empty()) {
        for (const auto& owner : facts.vector_shadow_owners) require(owner, Action::data_read);
        return;
      }
    }
    require(table, Action::data_read);
    // A shadow table is its virtual table's storage (as in authorizer_rules).
    if (object.kind == OpenedKind::table) {
      const ObjectFacts& facts = lookup_.facts(table, object.temp);
      if (facts.shadow_owner) require(*facts.shadow_owner, Action::data_read);
    }
  }

 private:
  bool has_any(Action action) const {
    return std::any_of(out_.requirements.begin(), out_.requirements.end(),
                       [&](const Requirement& r) { return r.action == action; });
  }

  bool has_on(const std::string& table, Action action) const {
    return std::find(out_.requirements.begin(), out_.requirements.end(), Requirement{table, action}) !=
           out_.requirements.end();
  }

  bool has_schema_action_on(const std::string& table) const {
    return std::any_of(out_.requirements.begin(), out_.requirements.end(), [&](const Requirement& r) {
      return is_schema_action(r.action) && (!r.table || *r.table == table);
    });
  }

  void require(const std::string& table, Action action) {
    Requirement r{table, action};
    if (std::find(out_.requirements.begin(), out_.requirements.end(), r) == out_.requirements.end()) {
      out_.requirements.push_back(std::move(r));
    }
  }

  void forbid(std::string reason, std::string detail) {
    if (!out_.forbidden) out_.forbidden = Forbidden{std::move(reason), std::move(detail)};
  }

  StatementRequirements& out_;
  std::span<const AuthorizerEvent> events_;
  const PolicyConfig& config_;
  ObjectLookup& lookup_;
};

}  // namespace

void apply_program_witness(StatementRequirements& statement, std::vector<OpenedObject> opened,
                           std::span<const AuthorizerEvent> events, const PolicyConfig& config,
                           ObjectLookup& lookup) {
  statement.from_authorizer = statement.requirements.size();
  statement.opened = std::move(opened);
  if (statement.forbidden || statement.parse_error) return;  // refused already
  WitnessCheck check(statement, events, config, lookup);
  for (const OpenedObject& object : statement.opened) check.check(object);
}

}  // namespace gate::policy
