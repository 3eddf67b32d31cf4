#pragma once
// The shape of a table-valued function on the analysis connection: an
// eponymous-only virtual table (no xCreate, so `CREATE VIRTUAL TABLE ... USING`
// it is refused) whose cursors never return a row. Planning is all the analysis
// needs of it: the copy holds no rows and user statements are never executed
// there (DDL applied to the copy, e.g. CREATE TABLE AS SELECT, runs with LIMIT 0).
#include <sqlite3.h>

namespace gate::policy {

// A module with the given connect/plan/disconnect callbacks and empty cursors.
sqlite3_module empty_table_function_module(decltype(sqlite3_module::xConnect) connect,
                                           decltype(sqlite3_module::xBestIndex) best_index,
                                           decltype(sqlite3_module::xDisconnect) disconnect);

}  // namespace gate::policy
