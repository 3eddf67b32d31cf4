#pragma once
// The gate's schema query and the reading of its answer: the upstream's
// `sqlite_schema` rows, fetched over Hrana like any client would (SPEC §6: the
// analysis copy is built from them).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/schema_snapshot.hpp"

namespace gate::proxy {

// The pipeline body the gate posts to upstream /v2/pipeline: the schema rows, then
// close (no stream is left open upstream).
std::string schema_pipeline_body();

struct SchemaRowsRead {
  std::optional<std::vector<policy::SchemaRow>> rows;
  std::string error;  // why `rows` is empty: names the part of the answer that was wrong
};

// Reads the upstream's answer to schema_pipeline_body(). Text and null cells are
// accepted (null sql: automatic indexes); anything else is an error.
SchemaRowsRead schema_rows_from_pipeline(std::string_view body);

}  // namespace gate::proxy
