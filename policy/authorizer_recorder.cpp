#include "policy/authorizer_recorder.hpp"

#include <algorithm>

namespace gate::policy {

bool pragma_takes_table_argument(std::string_view lower_name) {
  return lower_name == "table_info" || lower_name == "table_xinfo" || lower_name == "index_list" ||
         lower_name == "index_info" || lower_name == "index_xinfo" || lower_name == "foreign_key_list";
}

std::string fold_identifier(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

AuthorizerRecorder::AuthorizerRecorder(const PolicyConfig& config) : config_(config) {
  events_.reserve(32);
}

void AuthorizerRecorder::install(sqlite3* db) {
  sqlite3_set_authorizer(db, &AuthorizerRecorder::callback, this);
}

void AuthorizerRecorder::begin_statement(bool is_pragma) {
  statement_is_pragma_ = is_pragma;
  events_.clear();
  denial_.reset();
  mode_ = Mode::recording;
}

bool is_foreign_key_pragma(std::string_view lower_name) {
  return lower_name == "foreign_keys" || lower_name == "defer_foreign_keys";
}

bool pragma_allowed(const PolicyConfig& config, std::string_view lower_name) {
  return std::any_of(config.allowed_pragmas.begin(), config.allowed_pragmas.end(),
                     [&](const std::string& allowed) { return fold_identifier(allowed) == lower_name; });
}

int AuthorizerRecorder::callback(void* self, int code, const char* a1, const char* a2, const char* db,
                                 const char* inner) {
  return static_cast<AuthorizerRecorder*>(self)->on_event(code, a1, a2, db, inner);
}

int AuthorizerRecorder::deny(std::string reason, std::string detail) {
  if (!denial_) denial_ = Forbidden{std::move(reason), std::move(detail)};
  return SQLITE_DENY;
}

int AuthorizerRecorder::on_event(int code, const char* a1, const char* a2, const char* db,
                                 const char* inner) {
  // Refused in every mode: these reach outside the in-memory copy (files, shared
  // libraries, process-wide tokenizer tables).
  switch (code) {
    case SQLITE_ATTACH: return deny("attach", "ATTACH is never forwarded: it opens another database file");
    case SQLITE_DETACH: return deny("detach", "DETACH is never forwarded");
    case SQLITE_FUNCTION: {
      std::string name = fold_identifier(a2 ? a2 : "");
      if (name == "load_extension") {
        return deny("load_extension", "load_extension() is never forwarded: it loads native code");
      }
      if (name == "fts3_tokenizer") {
        return deny("fts3_tokenizer", "fts3_tokenizer() is never forwarded: it can install native pointers");
      }
      break;
    }
    default: break;
  }
  if (mode_ == Mode::passive) return SQLITE_OK;

  if (code == SQLITE_PRAGMA && !statement_is_pragma_) {
    // Pitfall "virtual tables emit noise on first use per connection": FTS5's
    // xConnect prepares `PRAGMA main.data_version` inside the user's prepare
    // (again after every schema change). Only a PRAGMA statement can run a pragma
    // at prepare time (the pragma_* table-valued forms run theirs when stepped,
    // and are judged from their READ), so any other PRAGMA here is SQLite's own:
    // never denied inline, never recorded.
    return SQLITE_OK;
  }
  if (code == SQLITE_PRAGMA) {
    std::string name = fold_identifier(a1 ? a1 : "");
    // An argument is only a table (or index) name for the introspection pragmas;
    // for any other pragma `PRAGMA x(v)` is the same assignment as `PRAGMA x=v`.
    bool assignment = a2 != nullptr && !pragma_takes_table_argument(name);
    // The foreign-key switches are judged by their grant (authorizer_rules), not
    // by policy.allowed_pragmas.
    if (!is_foreign_key_pragma(name) && (!pragma_allowed(config_, name) || assignment)) {
      return deny(assignment ? "pragma_assignment" : "pragma",
                  "PRAGMA " + name + (assignment ? " with an argument" : "") +
                      " is never forwarded (policy.allowed_pragmas)");
    }
  }
  if (code == SQLITE_FUNCTION) return SQLITE_OK;  // ordinary functions need no grant

  record(code, a1, a2, db, inner);
  // Pitfall "PRAGMAs act during prepare": SQLite sets the foreign-key flags while
  // compiling `PRAGMA foreign_keys=…`, which would change every later analysis on
  // this connection. Recorded, then ignored: the statement compiles as a no-op.
  if (code == SQLITE_PRAGMA && a2 != nullptr && is_foreign_key_pragma(fold_identifier(a1 ? a1 : ""))) {
    return SQLITE_IGNORE;
  }
  return SQLITE_OK;
}

void AuthorizerRecorder::record(int code, const char* a1, const char* a2, const char* db, const char* inner) {
  AuthorizerEvent& event = events_.emplace_back();
  event.code = code;
  if (a1) {
    event.arg1 = a1;
    event.has_arg1 = true;
  }
  if (a2) {
    event.arg2 = a2;
    event.has_arg2 = true;
  }
  if (db) event.database = db;
  if (inner) event.inner = inner;
}

}  // namespace gate::policy
