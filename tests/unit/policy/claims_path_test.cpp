#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "policy/claim_path.hpp"

using gate::policy::find_claim;
using nlohmann::json;

TEST_CASE("claim path: top-level and dotted paths") {
  json claims = {{"perm", 1}, {"o", {{"rol", "admin"}}}, {"public_metadata", {{"role", "x"}}}};
  REQUIRE(find_claim(claims, "perm"));
  CHECK(*find_claim(claims, "perm") == 1);
  CHECK(*find_claim(claims, "o.rol") == "admin");
  CHECK(*find_claim(claims, "public_metadata.role") == "x");
  CHECK(find_claim(claims, "o.missing") == nullptr);
  CHECK(find_claim(claims, "missing") == nullptr);
  CHECK(find_claim(claims, "perm.x") == nullptr);  // perm is not an object
}

TEST_CASE("claim path: a URL-named claim is found whole before splitting at dots") {
  json claims = {{"https://example.com/roles", {"admin"}}};
  REQUIRE(find_claim(claims, "https://example.com/roles"));
  CHECK(*find_claim(claims, "https://example.com/roles") == json::array({"admin"}));
}

TEST_CASE("claim path: the longest existing key wins, shorter splits are tried after") {
  json claims = {{"a.b", {{"c", "long"}}}, {"a", {{"b", {{"c", "short"}}}}}};
  CHECK(*find_claim(claims, "a.b.c") == "long");
  // The long key exists but leads nowhere: backtrack to the shorter split.
  json detour = {{"a.b", "not an object"}, {"a", {{"b", {{"c", "found"}}}}}};
  CHECK(*find_claim(detour, "a.b.c") == "found");
  json namespaced = {{"https://example.com/app", {{"roles", "r"}}}};
  CHECK(*find_claim(namespaced, "https://example.com/app.roles") == "r");
}

TEST_CASE("claim path: never indexes arrays or scalars, never throws") {
  json claims = {{"a", json::array({json{{"b", 1}}})}, {"s", "text"}};
  CHECK(find_claim(claims, "a.b") == nullptr);
  CHECK(find_claim(claims, "a.0") == nullptr);
  CHECK(find_claim(claims, "s.length") == nullptr);
  CHECK(find_claim(json::array({1}), "0") == nullptr);
  CHECK(find_claim(json("x"), "x") == nullptr);
  CHECK(find_claim(json(nullptr), "x") == nullptr);
  CHECK(find_claim(claims, "") == nullptr);
  CHECK(find_claim(claims, ".") == nullptr);
  CHECK(find_claim(claims, "...") == nullptr);
}
