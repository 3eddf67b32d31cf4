#include "proxy/schema_rows.hpp"

#include <nlohmann/json.hpp>

namespace gate::proxy {

namespace {

using nlohmann::json;

constexpr const char* kSchemaQuery = "SELECT type, name, tbl_name, sql FROM sqlite_schema";

// A Hrana value cell as text: text as is, null as "" (the snapshot treats an empty
// sql as an automatic index). Other types cannot occur in sqlite_schema.
bool cell_text(const json& cell, std::string& out) {
  if (!cell.is_object()) return false;
  auto type = cell.find("type");
  if (type == cell.end() || !type->is_string()) return false;
  if (*type == "null") {
    out.clear();
    return true;
  }
  auto value = cell.find("value");
  if (*type != "text" || value == cell.end() || !value->is_string()) return false;
  out = value->get<std::string>();
  return true;
}

}  // namespace

std::string schema_pipeline_body() {
  json body = {{"baton", nullptr},
               {"requests", json::array({{{"type", "execute"}, {"stmt", {{"sql", kSchemaQuery}}}},
                                         {{"type", "close"}}})}};
  return body.dump();
}

SchemaRowsRead schema_rows_from_pipeline(std::string_view body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return {std::nullopt, "answer is not a JSON object"};
  auto results = parsed.find("results");
  if (results == parsed.end() || !results->is_array() || results->empty()) {
    return {std::nullopt, "answer has no results"};
  }
  const json& first = (*results)[0];
  if (!first.is_object() || first.value("type", "") != "ok") {
    std::string message = "schema query failed";
    if (first.is_object() && first.contains("error") && first["error"].is_object()) {
      message += ": " + first["error"].value("message", std::string());
    }
    return {std::nullopt, message};
  }
  const json* rows = nullptr;
  if (auto response = first.find("response"); response != first.end() && response->is_object()) {
    if (auto result = response->find("result"); result != response->end() && result->is_object()) {
      if (auto found = result->find("rows"); found != result->end() && found->is_array()) rows = &*found;
    }
  }
  if (!rows) return {std::nullopt, "answer has no result rows"};
  std::vector<policy::SchemaRow> out;
  out.reserve(rows->size());
  for (const json& row : *rows) {
    policy::SchemaRow schema_row;
    if (!row.is_array() || row.size() != 4 || !cell_text(row[0], schema_row.type) ||
        !cell_text(row[1], schema_row.name) || !cell_text(row[2], schema_row.tbl_name) ||
        !cell_text(row[3], schema_row.sql)) {
      return {std::nullopt, "a schema row is not four text or null cells"};
    }
    out.push_back(std::move(schema_row));
  }
  return {std::move(out), {}};
}

}  // namespace gate::proxy
