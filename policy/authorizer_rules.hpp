#pragma once
// SPEC §6 as code: the authorizer callbacks recorded while one statement was
// prepared become that statement's requirements. Every DESIGN.md pitfall is a
// rule here, named where it is applied.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/authorizer_recorder.hpp"
#include "policy/policy_config.hpp"
#include "policy/requirement.hpp"

namespace gate::policy {

// What the schema copy says about one object (looked up by canonical name).
struct ObjectFacts {
  bool exists = false;
  bool is_view = false;
  bool is_virtual = false;                  // CREATE VIRTUAL TABLE, or a stand-in for one
  bool replace_constraint = false;          // table declares ON CONFLICT REPLACE somewhere
  bool trigger_uses_replace = false;        // trigger body has a REPLACE conflict path
  std::string index_table;                  // for an index: its table (canonical)
  std::optional<std::string> shadow_owner;  // shadow table of this virtual table (fts3/4/5, rtree)
  // A virtual table's module reads or writes these on its own (virtual_table_sources.hpp).
  std::vector<std::string> module_tables;
  bool module_tables_unknown = false;
  // Storage of a libSQL vector index: the tables whose index it holds (non-empty
  // only for `<idx>_shadow` of a vector index and `libsql_vector_meta_shadow`).
  std::vector<std::string> vector_shadow_owners;
};

// Answered by the analysis connection, outside the authorizer callback (SQLite
// forbids using the connection from inside it).
class ObjectLookup {
 public:
  virtual ~ObjectLookup() = default;
  virtual const ObjectFacts& facts(std::string_view canonical_name, bool temp) = 0;
};

struct PreparedStatementInfo {
  std::string_view sql;  // the statement's own text
  bool readonly = true;  // sqlite3_stmt_readonly()
};

StatementRequirements requirements_from_events(std::span<const AuthorizerEvent> events,
                                               const PreparedStatementInfo& statement,
                                               const PolicyConfig& config, ObjectLookup& lookup);

// True when the events are CREATE/DROP/ALTER: the statement is applied to the
// analysis copy (inside the batch savepoint) so later statements see its effect.
bool applies_to_schema_copy(std::span<const AuthorizerEvent> events);

}  // namespace gate::policy
