#include "policy/grants.hpp"

#include <algorithm>

namespace gate::policy {

namespace {

template <typename Tables>  // the table vector, const or not
auto find_table(Tables& tables, std::string_view name) {
  return std::lower_bound(tables.begin(), tables.end(), name,
                          [](const auto& entry, std::string_view key) { return entry.first < key; });
}

}  // namespace

bool is_always_readable_table(std::string_view canonical_table) {
  return canonical_table == "sqlite_schema" || canonical_table == "sqlite_master" ||
         canonical_table == "sqlite_temp_schema" || canonical_table == "sqlite_temp_master";
}

void Grants::add(const Grant& grant) {
  if (grant.table) {
    add(std::string_view(*grant.table), action_bit(grant.action));
  } else {
    add(std::nullopt, action_bit(grant.action));
  }
}

void Grants::add(std::optional<std::string_view> canonical_table, ActionMask actions) {
  actions &= kAllActionsMask;
  if (actions == 0) return;
  if (!canonical_table) {
    all_tables_ |= actions;
    return;
  }
  auto it = find_table(tables_, *canonical_table);
  if (it != tables_.end() && it->first == *canonical_table) {
    it->second |= actions;
  } else {
    tables_.emplace(it, std::string(*canonical_table), actions);
  }
}

void Grants::add_all(const Grants& other) {
  all_tables_ |= other.all_tables_;
  for (const auto& [table, mask] : other.tables_) add(std::string_view(table), mask);
}

void Grants::cap_to_read_only() {
  all_tables_ &= kReadOnlyMask;
  for (auto& entry : tables_) entry.second &= kReadOnlyMask;
  std::erase_if(tables_, [](const auto& entry) { return entry.second == 0; });
}

void Grants::clear() {
  all_tables_ = 0;
  tables_.clear();
}

bool Grants::allows(const Requirement& requirement) const {
  if (requirement.table) return allows(std::string_view(*requirement.table), requirement.action);
  return allows(std::nullopt, requirement.action);
}

bool Grants::allows(std::optional<std::string_view> canonical_table, Action action) const {
  const ActionMask bit = action_bit(action);
  if (all_tables_ & bit) return true;
  // A requirement on the whole database (REINDEX, ANALYZE) is only met by an
  // all-tables grant: a grant on some tables never adds up to "all".
  if (!canonical_table) return false;
  if (action == Action::data_read && is_always_readable_table(*canonical_table)) return true;
  auto it = find_table(tables_, *canonical_table);
  return it != tables_.end() && it->first == *canonical_table && (it->second & bit);
}

bool Grants::empty() const { return all_tables_ == 0 && tables_.empty(); }

std::vector<Grant> Grants::list() const {
  std::vector<Grant> out;
  for (Action action : kAllActions) {
    if (all_tables_ & action_bit(action)) out.push_back(Grant{std::nullopt, action});
  }
  for (const auto& [table, mask] : tables_) {
    for (Action action : kAllActions) {
      if (mask & action_bit(action)) out.push_back(Grant{table, action});
    }
  }
  return out;
}

namespace {

std::string spec_table(std::string_view table) {
  bool plain = table != "all" && !table.empty() &&
               table.find_first_of(":\"'`[]") == std::string_view::npos;
  if (plain) return std::string(table);
  std::string quoted = "\"";
  for (char c : table) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string spec_line(std::string table, ActionMask mask) {
  std::string line = std::move(table);
  char separator = ':';
  for (Action action : kAllActions) {
    if (!(mask & action_bit(action))) continue;
    line += separator;
    line += to_string(action);
    separator = ',';
  }
  return line;
}

}  // namespace

std::vector<std::string> grant_specs(const Grants& grants) {
  std::vector<std::string> out;
  if (grants.all_tables_mask() != 0) out.push_back(spec_line("all", grants.all_tables_mask()));
  std::string table;
  ActionMask mask = 0;
  for (const Grant& grant : grants.list()) {
    if (!grant.table) continue;
    if (*grant.table != table && mask != 0) {
      out.push_back(spec_line(spec_table(table), mask));
      mask = 0;
    }
    table = *grant.table;
    mask |= action_bit(grant.action);
  }
  if (mask != 0) out.push_back(spec_line(spec_table(table), mask));
  return out;
}

}  // namespace gate::policy
