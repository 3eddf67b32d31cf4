#include "tests/unit/policy/oracle_generator.hpp"

#include <array>

namespace gate::policy::oracle {

namespace {

struct TableModel {
  std::string_view name;
  std::vector<std::string> columns;   // readable, `rowid` first where it is named differently
  std::vector<std::string> writable;  // columns an INSERT/UPDATE may set
};

const std::vector<TableModel>& tables() {
  static const std::vector<TableModel> all{
      {"users", {"id", "name", "email"}, {"name", "email"}},
      {"posts", {"id", "user_id", "title", "body", "title_len"}, {"user_id", "title", "body"}},
      {"secrets", {"id", "user_id", "secret", "shout"}, {"user_id", "secret"}},
      {"audit", {"id", "what"}, {"what"}},
      {"notes", {"rowid", "title", "body"}, {"title", "body"}},
      {"secret_view", {"id", "secret", "name"}, {}},
  };
  return all;
}

const std::vector<std::string> kJoins{",",          "JOIN",         "INNER JOIN",        "LEFT JOIN",
                                      "RIGHT JOIN", "FULL JOIN",    "CROSS JOIN",        "LEFT OUTER JOIN",
                                      "NATURAL JOIN", "NATURAL LEFT JOIN", "NATURAL RIGHT JOIN",
                                      "NATURAL FULL JOIN", "FULL OUTER JOIN"};

}  // namespace

std::string canary(std::string_view table, int row, std::string_view column) {
  return "zq_" + std::string(table) + "_r" + std::to_string(row) + "_" + std::string(column);
}

std::string canary_owner(std::string_view text, std::size_t at) {
  if (text.substr(at, 3) != "zq_") return "";
  // Only "zq_<data table>_r" counts: a result may glue a canary's fragment to
  // another canary ("zq_auditzq_audit_r1_what").
  for (auto table : kDataTables) {
    if (text.substr(at + 3, table.size()) == table && text.substr(at + 3 + table.size(), 2) == "_r") {
      return std::string(table);
    }
  }
  return "";
}

std::string data_sql() {
  std::string sql;
  auto quoted = [](const std::string& s) { return "'" + s + "'"; };
  for (int i = 1; i <= 4; ++i) {
    sql += "INSERT INTO users(id, name, email) VALUES (" + std::to_string(i) + ", " +
           quoted(canary("users", i, "name")) + ", " + quoted(canary("users", i, "email")) + ");\n";
    sql += "INSERT INTO secrets(id, user_id, secret) VALUES (" + std::to_string(i) + ", " + std::to_string(i) +
           ", " + quoted(canary("secrets", i, "secret")) + ");\n";
    sql += "INSERT INTO audit(id, what) VALUES (" + std::to_string(i * 100) + ", " +
           quoted(canary("audit", i, "what")) + ");\n";
    sql += "INSERT INTO notes(rowid, title, body) VALUES (" + std::to_string(i) + ", " +
           quoted(canary("notes", i, "title")) + ", " + quoted(canary("notes", i, "body")) + ");\n";
  }
  for (int i = 1; i <= 6; ++i) {
    sql += "INSERT INTO posts(id, user_id, title, body) VALUES (" + std::to_string(i) + ", " +
           std::to_string((i % 4) + 1) + ", " + quoted(canary("posts", i, "title")) + ", " +
           quoted(canary("posts", i, "body")) + ");\n";
  }
  return sql;
}

bool SqlGenerator::chance(int percent) {
  return static_cast<int>(random_() % 100) < percent;
}

std::size_t SqlGenerator::pick(std::size_t n) {
  return static_cast<std::size_t>(random_() % n);
}

std::string SqlGenerator::literal() {
  switch (pick(5)) {
    case 0: return std::to_string(pick(7));
    case 1: return "'x" + std::to_string(pick(5)) + "'";
    case 2: return "NULL";
    case 3: return "'zq%'";
    default: return std::to_string(static_cast<int>(pick(5)) - 1);
  }
}

SqlGenerator::Source SqlGenerator::table_source(bool writable_only) {
  const auto& all = tables();
  const TableModel& table = all[pick(writable_only ? all.size() - 1 : all.size())];
  std::string alias = "t" + std::to_string(next_alias_++);
  return Source{std::string(table.name) + " AS " + alias, alias, table.columns, std::string(table.name)};
}

SqlGenerator::Source SqlGenerator::source(int depth) {
  std::string alias = "t" + std::to_string(next_alias_++);
  std::size_t kind = pick(20);
  if (kind < 2) {
    return Source{"json_each('[1, \"x\", {\"a\": 2}]') AS " + alias, alias, {"key", "value", "type"}};
  }
  if (kind < 3) {
    const auto& table = one_of(tables());
    return Source{"pragma_table_info('" + std::string(table.name) + "') AS " + alias, alias, {"name", "type", "cid"}};
  }
  if (kind < 5 && !cte_names_.empty()) {
    return Source{one_of(cte_names_) + " AS " + alias, alias, {"c0", "c1"}};
  }
  if (kind < 8 && depth < 2) {
    return Source{"(" + select(depth + 1, 2) + ") AS " + alias, alias, {"c0", "c1"}};
  }
  if (kind < 10) {
    // A self join whose `*` is all its own columns: a derived table of it.
    const auto& table = one_of(tables());
    std::vector<std::string> columns;
    for (const auto& c : table.columns) {
      if (c != "rowid") columns.push_back(c);
    }
    std::string join = one_of(kJoins);
    if (!join.starts_with("NATURAL")) join = "NATURAL " + join.substr(join == "," ? 1 : 0);
    if (join == "NATURAL ") join = "NATURAL JOIN";
    std::string name(table.name);
    return Source{"(SELECT * FROM " + name + " AS x " + join + " " + name + " AS y) AS " + alias, alias, columns};
  }
  --next_alias_;
  return table_source(false);
}

std::string SqlGenerator::from_clause(int depth, std::vector<Source>& in_scope) {
  Source first = source(depth);
  std::string sql = first.sql;
  in_scope.push_back(std::move(first));
  std::size_t joins = pick(3);
  for (std::size_t i = 0; i < joins; ++i) {
    Source next = source(depth);
    if (!in_scope.back().table.empty() && chance(35)) {  // a self join
      next.sql = in_scope.back().table + " AS " + next.alias;
      next.columns = in_scope.back().columns;
      next.table = in_scope.back().table;
    }
    const std::string& join = one_of(kJoins);
    sql += (join == "," ? ", " : " " + join + " ") + next.sql;
    bool natural = join.starts_with("NATURAL");
    if (!natural && join != ",") {
      std::vector<std::string> common;
      for (const auto& c : next.columns) {
        for (const auto& d : in_scope.back().columns) {
          if (c == d && c != "rowid") common.push_back(c);
        }
      }
      std::size_t how = pick(3);
      if (how == 0 && !common.empty()) {
        sql += " USING (" + one_of(common) + ")";
      } else if (how == 1 || join.starts_with("RIGHT") || join.starts_with("FULL")) {
        sql += " ON " + in_scope.back().alias + "." + one_of(in_scope.back().columns) + " = " + next.alias + "." +
               one_of(next.columns);
      }
    }
    in_scope.push_back(std::move(next));
  }
  return sql;
}

std::string SqlGenerator::column(const std::vector<Source>& scope) {
  const Source& s = one_of(scope);
  return s.alias + "." + one_of(s.columns);
}

std::string SqlGenerator::expression(const std::vector<Source>& scope, int depth) {
  std::size_t kind = pick(depth > 2 ? 3 : 14);
  auto sub = [&] { return expression(scope, depth + 1); };
  switch (kind) {
    case 0:
    case 1: return scope.empty() ? literal() : column(scope);
    case 2: return literal();
    case 3: return "upper(" + sub() + ")";
    case 4: return "substr(" + sub() + ", 1, 8)";
    case 5: return "coalesce(" + sub() + ", " + sub() + ")";
    case 6: return sub() + " || " + sub();
    case 7: return "(" + sub() + " = " + sub() + ")";
    case 8: return "(" + sub() + " LIKE 'zq%')";
    case 9: return "CASE WHEN " + sub() + " THEN " + sub() + " ELSE " + sub() + " END";
    case 10: return "(SELECT c0 FROM (" + select(depth + 1, 1) + ") LIMIT 1)";
    case 11: return "EXISTS (" + select(depth + 1, 1) + ")";
    case 12: return "(" + sub() + " IN (" + select(depth + 1, 1) + "))";
    default: {
      // A correlated sub-query: reads a table keyed by an outer column.
      const auto& table = one_of(tables());
      std::string outer = scope.empty() ? literal() : column(scope);
      return "(SELECT group_concat(x." + table.columns.back() + ") FROM " + std::string(table.name) + " x WHERE x." +
             table.columns.front() + " = " + outer + ")";
    }
  }
}

std::string SqlGenerator::select(int depth, std::size_t columns) {
  std::vector<Source> scope;
  std::string from = from_clause(depth, scope);
  bool grouped = chance(20);
  std::string list;
  for (std::size_t i = 0; i < columns; ++i) {
    std::string e;
    if (grouped && chance(50)) {
      static const std::array<std::string_view, 4> aggregates{"count(", "group_concat(", "max(", "min("};
      e = std::string(aggregates[pick(aggregates.size())]) + column(scope) + ")";
    } else if (!grouped && chance(15)) {
      e = chance(50) ? "row_number() OVER (ORDER BY " + column(scope) + ")"
                     : "group_concat(" + column(scope) + ") OVER (PARTITION BY " + column(scope) + ")";
    } else {
      e = expression(scope, depth + 1);
    }
    list += (i ? ", " : "") + e + " AS c" + std::to_string(i);
  }
  std::string sql = "SELECT " + std::string(chance(10) ? "DISTINCT " : "") + list + " FROM " + from;
  if (chance(40)) sql += " WHERE " + expression(scope, depth + 1);
  if (grouped) sql += " GROUP BY " + column(scope);
  if (depth == 0 && chance(15)) {
    sql += std::string(chance(50) ? " UNION " : " UNION ALL ") + select(depth + 1, columns);
  } else if (chance(20)) {
    sql += " ORDER BY 1 LIMIT " + std::to_string(1 + pick(4));
  }
  return sql;
}

std::string SqlGenerator::with_clause(int depth, std::vector<std::string>& ctes) {
  std::string sql = "WITH ";
  bool recursive = chance(40);
  if (recursive) sql += "RECURSIVE ";
  std::size_t count = 1 + pick(2);
  for (std::size_t i = 0; i < count; ++i) {
    std::string name = "c" + std::to_string(next_alias_++);
    std::string body;
    if (recursive && i == 0) {
      // Walks a table by id, carrying one of its columns along.
      const auto& table = tables()[pick(tables().size())];
      body = "SELECT 1, 'start' UNION ALL SELECT " + name + ".c0 + 1, x." + table.columns.back() + " FROM " + name +
             (chance(50) ? " LEFT JOIN " : " JOIN ") + std::string(table.name) + " x ON x." +
             table.columns.front() + " = " + name + ".c0 WHERE " + name + ".c0 < 5";
    } else {
      body = select(depth + 1, 2);
    }
    sql += (i ? ", " : "") + name + "(c0, c1) AS (" + body + ")";
    ctes.push_back(name);
    cte_names_.push_back(name);
  }
  return sql + " ";
}

std::string SqlGenerator::insert() {
  const auto& all = tables();
  const TableModel& table = all[pick(all.size() - 1)];
  std::vector<std::string> columns = table.writable;
  bool with_id = table.name != "notes" && chance(50);
  if (with_id) columns.insert(columns.begin(), "id");
  std::string list;
  for (std::size_t i = 0; i < columns.size(); ++i) list += (i ? ", " : "") + columns[i];
  static const std::array<std::string_view, 4> verbs{"INSERT INTO", "INSERT OR REPLACE INTO", "REPLACE INTO",
                                                     "INSERT OR IGNORE INTO"};
  std::string sql = std::string(verbs[pick(verbs.size())]) + " " + std::string(table.name) + "(" + list + ") ";
  bool from_select = chance(50);
  if (from_select) {
    sql += select(1, columns.size());
  } else {
    sql += "VALUES (";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      sql += (i ? ", " : "") + (i == 0 && with_id ? std::to_string(1 + pick(6)) : literal());
    }
    sql += ")";
  }
  if (with_id && sql.starts_with("INSERT INTO") && chance(50)) {
    if (from_select) sql += " WHERE true";
    std::string set_column = one_of(table.writable);
    sql += chance(30) ? " ON CONFLICT DO NOTHING"
                      : " ON CONFLICT(id) DO UPDATE SET " + set_column + " = excluded." + set_column;
  }
  if (table.name != "notes" && chance(30)) {
    sql += chance(50) ? " RETURNING *" : " RETURNING " + one_of(table.columns);
  }
  return sql;
}

// The table an UPDATE or DELETE changes, in scope under its own name.
std::vector<SqlGenerator::Source> SqlGenerator::write_target() {
  const auto& all = tables();
  const TableModel& table = all[pick(all.size() - 1)];  // not the view
  std::string name(table.name);
  return {Source{name, name, table.columns, name}};
}

std::string SqlGenerator::returning(const Source& target) {
  if (target.table == "notes" || !chance(30)) return "";  // virtual tables have no RETURNING
  return " RETURNING " + one_of(target.columns);
}

std::string SqlGenerator::update() {
  std::vector<Source> scope = write_target();
  Source target = scope.front();
  std::string from;
  if (chance(35)) from = " FROM " + from_clause(1, scope);
  std::string column;
  for (const auto& table : tables()) {
    if (table.name == target.table) column = one_of(table.writable);
  }
  std::string sql = std::string(chance(15) ? "UPDATE OR REPLACE " : "UPDATE ") + target.table + " SET " + column +
                    " = " + expression(scope, 1) + from;
  if (chance(60)) sql += " WHERE " + expression(scope, 1);
  return sql + returning(target);
}

std::string SqlGenerator::remove() {
  std::vector<Source> scope = write_target();
  std::string sql = "DELETE FROM " + scope.front().table;
  if (chance(70)) sql += " WHERE " + expression(scope, 1);
  return sql + returning(scope.front());
}

std::string SqlGenerator::pragma() {
  static const std::array<std::string_view, 4> pragmas{"table_info", "table_xinfo", "index_list", "foreign_key_list"};
  std::string table(one_of(tables()).name);
  std::string name(pragmas[pick(pragmas.size())]);
  switch (pick(3)) {
    case 0: return "PRAGMA " + name + "(" + table + ")";
    case 1: return "SELECT * FROM pragma_" + name + "('" + table + "')";
    default: return "PRAGMA index_info(" + std::string(chance(50) ? "posts_user" : "secrets_secret") + ")";
  }
}

std::string SqlGenerator::statement() {
  next_alias_ = 0;
  cte_names_.clear();
  std::vector<std::string> ctes;
  std::string with = chance(25) ? with_clause(0, ctes) : "";
  std::size_t kind = pick(100);
  if (kind < 12) {
    // `*` expands to columns no expression names (where authorizers have missed reads).
    std::vector<Source> scope;
    std::string from = from_clause(0, scope);
    std::string list = chance(50) ? "*" : one_of(scope).alias + ".*";
    return with + "SELECT " + list + " FROM " + from + (chance(30) ? " WHERE " + expression(scope, 1) : "");
  }
  if (kind < 45) return with + select(0, 1 + pick(3));
  if (kind < 65) return with + insert();
  if (kind < 80) return with + update();
  if (kind < 92) return with + remove();
  return pragma();
}

}  // namespace gate::policy::oracle
