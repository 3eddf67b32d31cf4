#pragma once
// SPEC §6 for the libSQL statements SQLite cannot prepare (libsql_statements.hpp):
// what they require, whether they would prepare on libSQL, and how the schema
// copy learns their effect. Valid RANDOM ROWID tables are not here: SQLite
// prepares them without the option, through the ordinary path.
#include <sqlite3.h>

#include <string_view>

#include "policy/authorizer_rules.hpp"
#include "policy/libsql_statements.hpp"
#include "policy/policy_config.hpp"
#include "policy/requirement.hpp"

namespace gate::policy {

// `statement` is ALTER COLUMN, CREATE/DROP FUNCTION, or a RANDOM ROWID table
// libSQL refuses (`refused` set); `sql` its text. ALTER
// COLUMN is checked the way libSQL checks it (the table and column exist, the
// name after TO is the same column, the rewritten CREATE TABLE is valid) by
// rewriting the table in the copy inside a savepoint; with `keep_in_copy` the
// rewrite stays (the caller holds the batch savepoint that undoes it later).
// Runs SQL of its own on `db`: the authorizer must not be recording.
StatementRequirements libsql_statement_requirements(const LibsqlStatement& statement, std::string_view sql,
                                                    sqlite3* db, const PolicyConfig& config,
                                                    ObjectLookup& lookup, bool keep_in_copy);

}  // namespace gate::policy
