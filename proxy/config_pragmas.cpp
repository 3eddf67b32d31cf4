#include "proxy/config_pragmas.hpp"

#include <algorithm>
#include <array>

namespace gate::proxy {

namespace {

constexpr std::array<std::string_view, 20> kReadingPragmas{
    "table_info",    "table_xinfo",    "table_list",     "index_list",    "index_info",
    "index_xinfo",   "foreign_key_list", "collation_list", "function_list", "module_list",
    "pragma_list",   "compile_options", "user_version",   "application_id", "schema_version",
    "data_version",  "encoding",       "page_size",      "page_count",    "freelist_count",
};

struct KnownRefusal {
  std::string_view name;
  std::string_view reason;
};

// Pragmas someone might plausibly list, with the reason each one is refused.
constexpr std::array<KnownRefusal, 24> kRefused{{
    {"writable_schema", "lets a client corrupt the schema"},
    {"journal_mode", "changes the database's journal mode"},
    {"locking_mode", "changes how the connection locks the database"},
    {"synchronous", "changes durability settings"},
    {"foreign_keys", "switches foreign-key enforcement"},
    {"defer_foreign_keys", "switches foreign-key enforcement"},
    {"recursive_triggers", "changes trigger behaviour"},
    {"ignore_check_constraints", "switches CHECK constraint enforcement"},
    {"trusted_schema", "lets schema objects run unsafe functions"},
    {"cache_size", "changes connection settings"},
    {"busy_timeout", "changes connection settings"},
    {"temp_store", "changes connection settings"},
    {"auto_vacuum", "changes storage settings"},
    {"wal_checkpoint", "acts on the database even without an argument"},
    {"wal_autocheckpoint", "changes storage settings"},
    {"incremental_vacuum", "acts on the database even without an argument"},
    {"optimize", "acts on the database even without an argument"},
    {"shrink_memory", "acts on the connection even without an argument"},
    {"integrity_check", "scans the whole database (unbounded work per request)"},
    {"quick_check", "scans the whole database (unbounded work per request)"},
    {"foreign_key_check", "scans whole tables (unbounded work per request)"},
    {"database_list", "reveals the server's file paths"},
    {"case_sensitive_like", "changes how LIKE behaves for the connection"},
    {"mmap_size", "changes connection settings"},
}};

}  // namespace

std::span<const std::string_view> reading_pragma_names() { return kReadingPragmas; }

std::optional<std::string> pragma_rejection(std::string_view name) {
  if (std::find(kReadingPragmas.begin(), kReadingPragmas.end(), name) != kReadingPragmas.end()) {
    return std::nullopt;
  }
  if (name.starts_with("pragma_")) {
    return "write the pragma's name without the 'pragma_' prefix ('" + std::string(name.substr(7)) + "')";
  }
  for (const auto& refused : kRefused) {
    if (refused.name == name) return "pragma '" + std::string(name) + "' is not allowed: it " + std::string(refused.reason);
  }
  return "'" + std::string(name) + "' is not a known read-only pragma (see docs/config.md for the list)";
}

}  // namespace gate::proxy
