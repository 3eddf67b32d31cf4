#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "proxy/hrana_json.hpp"

using namespace gate::proxy::hrana;
using nlohmann::json;

namespace {

// The tree-based rewrite the gate used before the SAX scan and splice, kept here
// only as the reference the new one must agree with.
struct Reference {
  std::string body;
  std::optional<std::string> baton;
  std::vector<bool> ok;
};
std::optional<Reference> reference_rewrite(std::string_view upstream_body, const std::optional<std::string>& base_url) {
  json body = json::parse(upstream_body.begin(), upstream_body.end(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) return std::nullopt;
  Reference out;
  if (auto it = body.find("baton"); it != body.end() && it->is_string()) out.baton = it->get<std::string>();
  if (auto it = body.find("results"); it != body.end() && it->is_array()) {
    for (const json& result : *it) out.ok.push_back(result.is_object() && result.value("type", "") == "ok");
  }
  body["base_url"] = base_url ? json(*base_url) : json(nullptr);
  out.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return out;
}

// What the reference does differently on purpose: it took the last of repeated
// top-level keys (the new scan refuses them) and threw on a non-string result type
// (the new scan refuses it). Both are checked by their own cases below.
bool reference_differs_on_purpose(std::string_view body) {
  json tree;
  try {
    tree = json::parse(body);
  } catch (const json::exception&) {
    return false;
  }
  if (!tree.is_object()) return false;
  if (auto results = tree.find("results"); results != tree.end() && results->is_array()) {
    for (const json& result : *results) {
      if (result.is_object() && result.contains("type") && !result["type"].is_string()) return true;
    }
  }
  std::size_t members = 0;
  json::parser_callback_t count_top = [&](int depth, json::parse_event_t event, json&) {
    if (depth == 1 && event == json::parse_event_t::key) ++members;
    return true;
  };
  const json counted = json::parse(body, count_top);
  return members != tree.size();
}

void check_same(const std::string& body, const std::optional<std::string>& base_url) {
  CAPTURE(body);
  const auto expected = reference_rewrite(body, base_url);
  const auto actual = rewrite_pipeline_response(body, base_url);
  REQUIRE(expected.has_value() == actual.has_value());
  if (!expected) return;
  CHECK(json::parse(actual->body) == json::parse(expected->body));
  CHECK(actual->view.baton == expected->baton);
  CHECK(actual->view.ok == expected->ok);
  const auto head = rewrite_cursor_head(body, base_url);
  REQUIRE(head.has_value());
  CHECK(json::parse(head->line) == json::parse(expected->body));
  CHECK(head->baton == expected->baton);
}

const std::vector<std::string> kValid = {
    R"({"baton":"b1","base_url":"http://10.0.0.5:8080","results":[{"type":"ok","response":{"type":"execute","result":{"cols":[{"name":"a","decltype":null}],"rows":[[{"type":"integer","value":"1"}]],"affected_row_count":0,"last_insert_rowid":null,"replication_index":"5","rows_read":1,"rows_written":0,"query_duration_ms":0.042}}},{"type":"error","error":{"message":"x","code":"SQLITE_ERROR"}}]})",
    R"({"baton":null,"base_url":null,"results":[]})",
    R"({"results":[{"type":"ok","response":{"type":"close"}}],"baton":"z"})",
    R"({})",
    R"(  {"baton" : "a\"b\\c\u00e9" ,  "base_url" : "x" , "results" : [ {"type" : "ok"} , {"type":"error"} ] }  )",
    "\xEF\xBB\xBF{\"base_url\":\"http://u\",\"results\":[{\"type\":\"ok\"}]}\n",
    R"({"base_url":{"nested":[1,2,{"base_url":"deep"}]},"results":[{"type":"ok","base_url":"keep me"}]})",
    R"({"results":[1,"ok",null,[{"type":"ok"}],{"type":"ok","type":"error"},{"type":"error","type":"ok"},{}],"baton":5})",
    R"({"results":{"type":"ok"},"baton":["b"],"base_url":12.5e3})",
    R"({"x":{"results":[{"type":"ok"}],"baton":"inner","base_url":"inner"},"y":[[[]]],"z":-0.0,"w":true})",
    R"({"base_url":"a","big":123456789012345678901234567890,"f":1.5e300,"s":"\ud83d\ude00"})",
    R"({"base\u005furl":"escaped key","baton":"b"})",
};

}  // namespace

TEST_CASE("upstream JSON rewrite: same answer as the tree-based rewrite on valid responses") {
  for (const auto& body : kValid) {
    check_same(body, std::nullopt);
    check_same(body, "https://gate.example/db \"quoted\"");
  }
}

TEST_CASE("upstream JSON rewrite: same refusals and answers as the tree-based rewrite on mutated responses") {
  // Every truncation and many one-byte changes of each valid body: both accept or
  // both refuse, and when both accept they agree.
  const std::string replacements = "{}[]\",:\\ 0-.eE\x01\xff\xc3tnu";
  std::size_t compared = 0;
  for (const auto& valid : kValid) {
    for (std::size_t n = 0; n < valid.size(); ++n) {
      for (const std::string& body : {valid.substr(0, n), valid.substr(n)}) {
        if (reference_differs_on_purpose(body)) continue;
        check_same(body, "https://gate");
        ++compared;
      }
      for (char c : replacements) {
        std::string changed = valid;
        changed[n] = c;
        std::string inserted = valid;
        inserted.insert(n, 1, c);
        for (const std::string& body : {changed, inserted}) {
          if (reference_differs_on_purpose(body)) continue;
          check_same(body, "https://gate");
          ++compared;
        }
      }
    }
  }
  CHECK(compared > 10000);
}

TEST_CASE("upstream JSON rewrite: a repeated top-level key is refused, repeated nested keys are upstream's own") {
  CHECK_FALSE(rewrite_pipeline_response(R"({"base_url":"http://internal","base_url":null,"results":[]})", std::nullopt));
  CHECK_FALSE(rewrite_pipeline_response(R"({"base_url":null,"base\u005furl":"http://internal"})", std::nullopt));
  CHECK_FALSE(rewrite_pipeline_response(R"({"baton":"a","results":[],"baton":"b"})", std::nullopt));
  CHECK_FALSE(rewrite_pipeline_response(R"({"results":[],"x":1,"results":[{"type":"ok"}]})", std::nullopt));
  CHECK_FALSE(rewrite_cursor_head(R"({"baton":"a","baton":"b"})", std::nullopt));

  const auto nested = rewrite_pipeline_response(R"({"results":[{"type":"ok","a":1,"a":2}],"base_url":"http://internal"})",
                                                "https://gate");
  REQUIRE(nested.has_value());
  CHECK(nested->view.ok == std::vector<bool>{true});
  CHECK(nested->body == R"({"results":[{"type":"ok","a":1,"a":2}],"base_url":"https://gate"})");
}

TEST_CASE("upstream JSON rewrite: a result type that is not a string is refused") {
  CHECK_FALSE(rewrite_pipeline_response(R"({"results":[{"type":1}]})", std::nullopt));
  CHECK_FALSE(rewrite_pipeline_response(R"({"results":[{"type":"ok"},{"type":null}]})", std::nullopt));
  // Outside the top-level results array a `type` is upstream's business.
  const auto elsewhere = rewrite_pipeline_response(R"({"other":[{"type":1}],"results":[{"type":"ok","r":{"type":2}}]})",
                                                   std::nullopt);
  REQUIRE(elsewhere.has_value());
  CHECK(elsewhere->view.ok == std::vector<bool>{true});
}

TEST_CASE("upstream JSON rewrite: upstream's bytes are kept, only the top-level base_url value changes") {
  const std::string upstream = R"({ "baton":"b", "base_url" : "http://10.0.0.5:8080" ,"results":[{"type":"ok","response":{"type":"execute","result":{"rows":[[{"type":"float","value":1.10}]],"base_url":"row text"}}}]})";
  const auto rewritten = rewrite_pipeline_response(upstream, "https://gate.example");
  REQUIRE(rewritten.has_value());
  CHECK(rewritten->body ==
        R"({ "baton":"b", "base_url" : "https://gate.example" ,"results":[{"type":"ok","response":{"type":"execute","result":{"rows":[[{"type":"float","value":1.10}]],"base_url":"row text"}}}]})");

  // Absent: added first, so the client sees the gate's base_url either way.
  const auto added = rewrite_pipeline_response(R"({"baton":"b","results":[]})", std::nullopt);
  REQUIRE(added.has_value());
  CHECK(added->body == R"({"base_url":null,"baton":"b","results":[]})");
  const auto empty = rewrite_cursor_head(" {} \r\n", "https://g");
  REQUIRE(empty.has_value());
  CHECK(empty->line == R"({"base_url":"https://g"})");

  // The public URL is escaped as a JSON string.
  const auto escaped = rewrite_pipeline_response(R"({"base_url":"x"})", "https://g/\"}\n");
  REQUIRE(escaped.has_value());
  CHECK(json::parse(escaped->body)["base_url"] == "https://g/\"}\n");
  CHECK(json::parse(escaped->body).size() == 1);
}

TEST_CASE("upstream JSON rewrite: not an object, or not JSON, is refused") {
  for (const char* body : {"", "<html>", "[]", "\"s\"", "null", "{} {}", "{\"a\":1,}", "{\"a\":\"\xff\"}", "{\"a\":1e999}",
                           "{\"a\":1} x", "{/*c*/}"}) {
    CAPTURE(body);
    CHECK_FALSE(rewrite_pipeline_response(body, std::nullopt));
    CHECK_FALSE(rewrite_cursor_head(body, std::nullopt));
  }
}
