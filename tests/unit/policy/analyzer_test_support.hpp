#pragma once
// Shared by the analyzer, corpus and property tests (and the fuzz target and
// benchmark): a realistic fixture schema and a compact, exact rendering of
// analyses that corpus expectations are written in.
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/action.hpp"
#include "policy/requirement.hpp"
#include "policy/schema_snapshot.hpp"
#include "policy/sqlite_connection.hpp"

namespace gate::policy::testing {

// users, comments, secrets, posts (AUTOINCREMENT), a view over secrets, triggers
// writing audit tables (one with INSERT OR REPLACE), an FTS5 table, a table with
// ON CONFLICT REPLACE, FK cascade, a mixed-case quoted table, a libSQL vector
// index stock SQLite cannot create without the stand-in functions.
inline constexpr std::string_view kFixtureSchema = R"sql(
CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE);
CREATE TABLE comments(id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), post_id INTEGER, body TEXT);
CREATE TABLE secrets(id INTEGER PRIMARY KEY, user_id INTEGER, secret TEXT);
CREATE TABLE posts(id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER, title TEXT, body TEXT);
CREATE TABLE audit_log(id INTEGER PRIMARY KEY, what TEXT, at TEXT DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE settings(key TEXT PRIMARY KEY ON CONFLICT REPLACE, value TEXT);
CREATE TABLE counters(name TEXT PRIMARY KEY, n INTEGER);
CREATE TABLE "Mixed Case"(Id INTEGER PRIMARY KEY, "Value" TEXT);
CREATE TABLE parent(id INTEGER PRIMARY KEY, label TEXT);
CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE);
CREATE TABLE vectors(id INTEGER PRIMARY KEY, emb F32_BLOB(3));
CREATE VIEW secret_view AS SELECT s.id, s.secret, u.name FROM secrets s JOIN users u ON u.id = s.user_id;
CREATE VIEW public_users AS SELECT id, name FROM users;
CREATE TRIGGER comments_audit AFTER INSERT ON comments BEGIN
  INSERT INTO audit_log(what) VALUES ('comment ' || new.id);
END;
CREATE TRIGGER users_delete AFTER DELETE ON users BEGIN
  DELETE FROM comments WHERE user_id = old.id;
  INSERT INTO audit_log(what) VALUES ('user; deleted');
END;
CREATE TRIGGER posts_count AFTER INSERT ON posts BEGIN
  INSERT OR REPLACE INTO counters(name, n) VALUES ('posts', 1);
END;
CREATE VIRTUAL TABLE docs USING fts5(title, body);
CREATE INDEX comments_user ON comments(user_id);
CREATE INDEX vectors_idx ON vectors(libsql_vector_idx(emb));
)sql";

inline std::shared_ptr<const SchemaSnapshot> fixture_snapshot() {
  initialize_sqlite();
  static const auto built = SchemaSnapshot::build_from_sql(kFixtureSchema);
  return built.snapshot;
}

// One statement: "forbidden:<reason>", "parse_error", "tx", "none", or its
// requirements sorted, as "action:table" ("all" for every table), comma-joined.
inline std::string format_statement(const StatementRequirements& s) {
  if (s.parse_error) return "parse_error";
  if (s.forbidden) return "forbidden:" + s.forbidden->reason;
  std::vector<std::string> parts;
  for (const auto& r : s.requirements) {
    parts.push_back(std::string(to_string(r.action)) + ":" + (r.table ? *r.table : std::string("all")));
  }
  std::sort(parts.begin(), parts.end());
  if (s.transaction_control) parts.insert(parts.begin(), "tx");
  if (parts.empty()) return "none";
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
  return out;
}

// Statements of one text joined with " | ".
inline std::string format_analysis(const Analysis& analysis) {
  std::string out;
  for (std::size_t i = 0; i < analysis.size(); ++i) out += (i ? " | " : "") + format_statement(analysis[i]);
  return out.empty() ? "empty" : out;
}

}  // namespace gate::policy::testing
