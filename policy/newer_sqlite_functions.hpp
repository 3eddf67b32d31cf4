#pragma once
// SQL functions that libSQL's engine has (SQLite 3.45 in the npm package, 3.47
// in sqld, with the extensions libSQL compiles in) and an older system SQLite
// lacks (measured: tests/integration/libsql_agreement.test.mjs). Without them a
// statement libSQL runs would not prepare in the gate. Each is a function of its
// arguments only — it reads no table — so a stand-in that prepares with the same
// name and argument count is an exact analysis: whatever the arguments read is
// reported by the authorizer as usual. Results never matter (the copy holds no
// rows and user statements are never executed on it).
#include <sqlite3.h>

namespace gate::policy {

// Registers a stand-in for each such function this SQLite does not have itself
// (a built-in is never replaced): concat, concat_ws, octet_length, timediff,
// string_agg, median, regexp (for the REGEXP operator), uuid and the
// generate_series table-valued function.
void add_newer_sqlite_functions(sqlite3* db);

}  // namespace gate::policy
