#include <doctest/doctest.h>

#include "jwks/strict_json.hpp"

using namespace gate::jwks;

TEST_CASE("strict json: duplicate member names are refused, at any depth, after unescaping") {
  CHECK(parse_strict_json(R"({"exp":1,"exp":2})").error == StrictJsonError::duplicate_member);
  CHECK(parse_strict_json(R"({"a":{"b":1,"b":1}})").error == StrictJsonError::duplicate_member);
  CHECK(parse_strict_json(R"({"a":[{"b":1},{"b":1,"b":2}]})").error == StrictJsonError::duplicate_member);
  CHECK(parse_strict_json(R"({"exp":1,"\u0065xp":2})").error == StrictJsonError::duplicate_member);
  // The same name in sibling objects is fine.
  auto ok = parse_strict_json(R"({"a":{"b":1},"c":{"b":2},"d":[{"b":3},{"b":4}]})");
  REQUIRE(ok.value);
  CHECK((*ok.value)["c"]["b"] == 2);
}

TEST_CASE("strict json: depth is bounded before parsing; 10k nesting does not recurse") {
  std::string deep = std::string(10000, '[') + std::string(10000, ']');
  CHECK(parse_strict_json(deep).error == StrictJsonError::too_deep);
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  CHECK(parse_strict_json(objects).error == StrictJsonError::too_deep);
  std::string at_limit = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  CHECK(parse_strict_json(at_limit).value);
  std::string over = "[" + at_limit + "]";
  CHECK(parse_strict_json(over).error == StrictJsonError::too_deep);
  // Brackets inside strings do not count.
  CHECK(parse_strict_json("{\"a\":\"" + std::string(100, '[') + "\\\"" + "\"}").value);
}

TEST_CASE("strict json: syntax errors, trailing data, comments, invalid UTF-8, overflow") {
  for (std::string bad : {"", "{", "{\"a\":1}x", "{\"a\":1} {}", "/*c*/{}", "{\"a\":\"\xff\"}", "{\"a\":1e400}",
                          "{'a':1}", "{\"a\":\"\\ud800\"}", "NaN"}) {
    CAPTURE(bad);
    CHECK(parse_strict_json(bad).error == StrictJsonError::not_json);
  }
  CHECK(parse_strict_json("  {\"a\" : [1, 2.5, true, null, \"x\"]}  ").value);
}
