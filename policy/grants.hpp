#pragma once
// The set of (table | all tables, action) a principal holds, checked once per
// statement requirement. Built once per verified token, then read-only: the hot
// path is one bitmask OR and at most one binary search over a small sorted vector.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/action.hpp"
#include "policy/grant.hpp"
#include "policy/requirement.hpp"

namespace gate::policy {

// One bit per Action, bit index = the enum's value.
using ActionMask = std::uint8_t;

constexpr ActionMask action_bit(Action action) {
  return static_cast<ActionMask>(1u << static_cast<unsigned>(action));
}
inline constexpr ActionMask kAllActionsMask = 0x7f;
inline constexpr ActionMask kReadOnlyMask = action_bit(Action::data_read);

// SPEC §5 rule 7 (and Turso's documented behaviour): the schema tables are always
// readable. SQLite reports reads of sqlite_schema as "sqlite_master" (and of the
// temp schema as "sqlite_temp_master"); all four spellings are accepted. The temp
// schema only lists this connection's own temp objects, the same kind of metadata.
bool is_always_readable_table(std::string_view canonical_table);

class Grants {
 public:
  Grants() = default;

  // Tables must already be canonical (policy/table_name.hpp); they are not
  // re-normalised here because normalising twice is not idempotent for names that
  // themselves contain quote characters.
  void add(const Grant& grant);
  void add(std::optional<std::string_view> canonical_table, ActionMask actions);
  void add_all(const Grants& other);

  // A read-only access level keeps data_read and drops every other action (SPEC §5 rule 6).
  void cap_to_read_only();
  void clear();

  bool allows(const Requirement& requirement) const;
  bool allows(std::optional<std::string_view> canonical_table, Action action) const;

  bool empty() const;
  ActionMask all_tables_mask() const { return all_tables_; }
  std::size_t table_count() const { return tables_.size(); }

  // Every grant held, "all tables" first, then tables in name order, actions in
  // enum order. For explain output and logs, not for checks.
  std::vector<Grant> list() const;

  friend bool operator==(const Grants&, const Grants&) = default;

 private:
  ActionMask all_tables_ = 0;
  // Sorted by name, unique, masks never 0.
  std::vector<std::pair<std::string, ActionMask>> tables_;
};

// The grants in the CLI string form, one line per table: "all:data_read",
// "comments:data_add,data_update". A table whose name would read back as something
// else ("all", or one containing ':' or a quote) is written as a quoted identifier.
std::vector<std::string> grant_specs(const Grants& grants);

}  // namespace gate::policy
