#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "proxy/schema_rows.hpp"

using gate::proxy::schema_pipeline_body;
using gate::proxy::schema_rows_from_pipeline;

TEST_CASE("schema rows: the query asks sqlite_schema and closes the stream") {
  auto body = nlohmann::json::parse(schema_pipeline_body());
  CHECK(body["requests"][0]["stmt"]["sql"] == "SELECT type, name, tbl_name, sql FROM sqlite_schema");
  CHECK(body["requests"][1]["type"] == "close");
}

TEST_CASE("schema rows: text and null cells are read in column order") {
  const char* answer = R"js({"baton":null,"base_url":null,"results":[
    {"type":"ok","response":{"type":"execute","result":{"cols":[],"rows":[
      [{"type":"text","value":"table"},{"type":"text","value":"notes"},{"type":"text","value":"notes"},
       {"type":"text","value":"CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT UNIQUE)"}],
      [{"type":"text","value":"index"},{"type":"text","value":"sqlite_autoindex_notes_1"},
       {"type":"text","value":"notes"},{"type":"null"}]]}}},
    {"type":"ok","response":{"type":"close"}}]})js";
  auto read = schema_rows_from_pipeline(answer);
  REQUIRE(read.rows.has_value());
  REQUIRE(read.rows->size() == 2);
  CHECK((*read.rows)[0].type == "table");
  CHECK((*read.rows)[0].name == "notes");
  CHECK((*read.rows)[0].sql.starts_with("CREATE TABLE notes"));
  CHECK((*read.rows)[1].sql.empty());
}

TEST_CASE("schema rows: an empty database has no rows") {
  auto read = schema_rows_from_pipeline(
      R"({"results":[{"type":"ok","response":{"type":"execute","result":{"cols":[],"rows":[]}}}]})");
  REQUIRE(read.rows.has_value());
  CHECK(read.rows->empty());
}

TEST_CASE("schema rows: errors and odd shapes are refused with a reason") {
  auto failed = schema_rows_from_pipeline(
      R"({"results":[{"type":"error","error":{"message":"no such table","code":"SQLITE_ERROR"}}]})");
  CHECK_FALSE(failed.rows.has_value());
  CHECK(failed.error.find("no such table") != std::string::npos);
  CHECK_FALSE(schema_rows_from_pipeline("not json").rows.has_value());
  CHECK_FALSE(schema_rows_from_pipeline(R"({"results":[]})").rows.has_value());
  CHECK_FALSE(schema_rows_from_pipeline(
                  R"({"results":[{"type":"ok","response":{"type":"execute","result":{"rows":[[{"type":"integer","value":"1"},{"type":"null"},{"type":"null"},{"type":"null"}]]}}}]})")
                  .rows.has_value());
  CHECK_FALSE(schema_rows_from_pipeline(
                  R"({"results":[{"type":"ok","response":{"type":"execute","result":{"rows":[[{"type":"null"}]]}}}]})")
                  .rows.has_value());
}
