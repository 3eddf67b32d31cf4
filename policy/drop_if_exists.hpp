#pragma once
// `DROP {TABLE|VIEW|INDEX|TRIGGER} IF EXISTS [schema.]name` read from the text.
// When the schema copy lacks the object SQLite prepares the statement as a no-op
// and calls the authorizer for nothing, yet upstream may have the object (its
// copy can be behind). SPEC §6 gives such a drop the grant it would need if the
// object existed: schema_delete on the name written. Stock clients start their
// migrations and tests with `DROP TABLE IF EXISTS t`.
#include <optional>
#include <string>
#include <string_view>

namespace gate::policy {

struct DropIfExists {
  std::string schema;  // canonical ("" when not written)
  std::string name;    // canonical
};

std::optional<DropIfExists> parse_drop_if_exists(std::string_view statement_sql);

}  // namespace gate::policy
