#pragma once
// The differential oracle's half that knows SQL (issue 14): a small schema with
// foreign keys, a view, triggers writing other tables, FTS5 and generated
// columns; data in which every text value is a canary naming its table; and a
// seeded generator of random statements over it (joins of every kind, CTEs
// recursive too, window functions, sub-queries, RETURNING, upserts,
// INSERT … SELECT, table-valued functions, pragmas). The oracle itself is
// oracle_test.cpp.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace gate::policy::oracle {

inline constexpr std::string_view kSchema = R"sql(
CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE);
CREATE TABLE posts(id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
                   title TEXT, body TEXT, title_len INTEGER GENERATED ALWAYS AS (length(title)) VIRTUAL);
CREATE TABLE secrets(id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), secret TEXT,
                     shout TEXT GENERATED ALWAYS AS (upper(secret)) STORED);
CREATE TABLE audit(id INTEGER PRIMARY KEY, what TEXT);
CREATE INDEX posts_user ON posts(user_id);
CREATE INDEX secrets_secret ON secrets(secret);
CREATE VIEW secret_view AS SELECT s.id, s.secret, u.name FROM secrets s JOIN users u ON u.id = s.user_id;
CREATE TRIGGER posts_audit AFTER INSERT ON posts BEGIN INSERT INTO audit(what) VALUES ('post ' || new.id); END;
CREATE TRIGGER secrets_touch AFTER UPDATE ON secrets BEGIN UPDATE audit SET what = 'touched' WHERE id = 1; END;
CREATE TRIGGER users_gone AFTER DELETE ON users BEGIN DELETE FROM secrets WHERE user_id = old.id; END;
CREATE VIRTUAL TABLE notes USING fts5(title, body);
)sql";

// The tables whose rows hold canaries, and whose content the oracle compares.
inline constexpr std::string_view kDataTables[] = {"users", "posts", "secrets", "audit", "notes"};

// "zq_<table>_r<row>_<column>": unique, and names the table it was stored in.
std::string canary(std::string_view table, int row, std::string_view column);
// The table a canary found in a result names ("" if `text` at `at` is not one).
std::string canary_owner(std::string_view text, std::size_t at);

// INSERTs filling every data table with canary rows.
std::string data_sql();

class SqlGenerator {
 public:
  explicit SqlGenerator(std::uint64_t seed) : random_(seed) {}
  std::string statement();

 private:
  struct Source {
    std::string sql;    // what follows FROM: `posts AS t1`, `(SELECT …) AS t2`
    std::string alias;  // t1
    std::vector<std::string> columns;
    std::string table = {};  // the table or view, when the source is one
  };

  bool chance(int percent);
  std::size_t pick(std::size_t n);
  template <class T>
  const T& one_of(const std::vector<T>& items) {
    return items[pick(items.size())];
  }

  Source table_source(bool writable_only);
  Source source(int depth);
  std::string from_clause(int depth, std::vector<Source>& in_scope);
  std::string column(const std::vector<Source>& scope);
  std::string expression(const std::vector<Source>& scope, int depth);
  std::string literal();
  std::string select(int depth, std::size_t columns);
  std::string with_clause(int depth, std::vector<std::string>& ctes);
  std::vector<Source> write_target();
  std::string returning(const Source& target);
  std::string insert();
  std::string update();
  std::string remove();
  std::string pragma();

  std::mt19937_64 random_;
  int next_alias_ = 0;
  std::vector<std::string> cte_names_;  // CTEs visible to the statement being built
};

}  // namespace gate::policy::oracle
