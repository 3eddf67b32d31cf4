#include "policy/empty_table_function.hpp"

namespace gate::policy {

namespace {

int open_cursor(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = new sqlite3_vtab_cursor();
  return SQLITE_OK;
}
int close_cursor(sqlite3_vtab_cursor* cursor) {
  delete cursor;
  return SQLITE_OK;
}
int filter(sqlite3_vtab_cursor*, int, const char*, int, sqlite3_value**) {
  return SQLITE_OK;
}
int next(sqlite3_vtab_cursor*) {
  return SQLITE_OK;
}
int eof(sqlite3_vtab_cursor*) {
  return 1;
}
int column(sqlite3_vtab_cursor*, sqlite3_context* ctx, int) {
  sqlite3_result_null(ctx);
  return SQLITE_OK;
}
int rowid(sqlite3_vtab_cursor*, sqlite3_int64* out) {
  *out = 0;
  return SQLITE_OK;
}

}  // namespace

sqlite3_module empty_table_function_module(decltype(sqlite3_module::xConnect) connect,
                                           decltype(sqlite3_module::xBestIndex) best_index,
                                           decltype(sqlite3_module::xDisconnect) disconnect) {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = nullptr;
  m.xConnect = connect;
  m.xBestIndex = best_index;
  m.xDisconnect = disconnect;
  m.xDestroy = disconnect;
  m.xOpen = open_cursor;
  m.xClose = close_cursor;
  m.xFilter = filter;
  m.xNext = next;
  m.xEof = eof;
  m.xColumn = column;
  m.xRowid = rowid;
  return m;
}

}  // namespace gate::policy
