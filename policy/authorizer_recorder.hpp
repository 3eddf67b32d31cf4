#pragma once
// The sqlite3_set_authorizer callback of one analysis connection. While a user
// statement is prepared it records every callback (turned into requirements
// afterwards by authorizer_rules) and refuses, inline, what must never even be
// prepared: PRAGMAs act during prepare, some process-wide (DESIGN.md pitfall 1),
// so "record then decide" would be too late for them.
#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy_config.hpp"
#include "policy/requirement.hpp"

namespace gate::policy {

// One authorizer callback, its arguments copied (SQLite's pointers die with it).
struct AuthorizerEvent {
  int code = 0;      // SQLITE_READ, SQLITE_INSERT, ...
  std::string arg1;  // meaning depends on code (sqlite3.h "Authorizer Action Codes")
  std::string arg2;
  std::string database;  // "main", "temp", or "" when SQLite does not say
  bool has_arg1 = false;
  bool has_arg2 = false;
  // The innermost trigger or view responsible, or "" for direct access. SQLite
  // fills it from names a CTE can spoof (DESIGN.md pitfall 3): it is only ever
  // used to ADD requirements, never to waive one.
  std::string inner;

  friend bool operator==(const AuthorizerEvent&, const AuthorizerEvent&) = default;
};

class AuthorizerRecorder {
 public:
  enum class Mode {
    // Our own SQL (setup, warm-up, fact lookups, DDL applied to the copy): nothing
    // recorded; ATTACH/DETACH/load_extension/fts3_tokenizer still refused.
    passive,
    // A user statement is being prepared: record and enforce everything.
    recording,
  };

  explicit AuthorizerRecorder(const PolicyConfig& config);
  AuthorizerRecorder(const AuthorizerRecorder&) = delete;
  AuthorizerRecorder& operator=(const AuthorizerRecorder&) = delete;

  void install(sqlite3* db);  // this object must outlive the connection's use

  // Clears what the previous statement left and starts recording. `is_pragma`:
  // the statement about to be prepared is a PRAGMA statement (starts_with_pragma).
  void begin_statement(bool is_pragma);
  void set_mode(Mode mode) { mode_ = mode; }
  Mode mode() const { return mode_; }

  const std::vector<AuthorizerEvent>& events() const { return events_; }
  // An event SQLite's authorizer cannot report (what our own virtual tables learn
  // while a statement is planned, e.g. kVectorTopKRead); kept only while recording.
  void add_event(AuthorizerEvent event) {
    if (mode_ == Mode::recording) events_.push_back(std::move(event));
  }
  // Set when the callback refused the statement (the prepare then fails with
  // SQLITE_AUTH): why, in SPEC §6 terms.
  const std::optional<Forbidden>& denial() const { return denial_; }

 private:
  static int callback(void* self, int code, const char* a1, const char* a2, const char* db,
                      const char* inner);
  int on_event(int code, const char* a1, const char* a2, const char* db, const char* inner);
  int deny(std::string reason, std::string detail);
  void record(int code, const char* a1, const char* a2, const char* db, const char* inner);

  const PolicyConfig& config_;
  Mode mode_ = Mode::passive;
  bool statement_is_pragma_ = false;
  std::vector<AuthorizerEvent> events_;
  std::optional<Forbidden> denial_;
};

// ASCII lower case, the way SQLite compares identifiers. Names handed to the
// authorizer are already unquoted, so they must not go through
// normalize_table_name again (a table really named "[x]" would lose its brackets).
std::string fold_identifier(std::string_view name);

// Whether policy.allowed_pragmas names this pragma (ASCII case-insensitive).
bool pragma_allowed(const PolicyConfig& config, std::string_view lower_name);
// PRAGMA foreign_keys / defer_foreign_keys (SPEC §6: reading always allowed,
// setting needs schema_update on all).
bool is_foreign_key_pragma(std::string_view lower_name);

// table_info, table_xinfo, index_list, index_info, index_xinfo, foreign_key_list:
// the pragmas whose argument names a table or index rather than setting a value.
bool pragma_takes_table_argument(std::string_view lower_name);

}  // namespace gate::policy
