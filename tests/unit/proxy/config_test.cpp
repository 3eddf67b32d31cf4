// SPEC §2: every key's default, every kind of config error, reported by path and
// all at once.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "config_test_support.hpp"
#include "proxy/config.hpp"
#include "proxy/config_env_expand.hpp"
#include "proxy/config_listen_address.hpp"

namespace gate::proxy {
namespace {

using test::has_problem;
using test::problems_text;
using test::ScratchDir;

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

ConfigLoad parse(std::string_view yaml, const EnvLookup& env = env_of({}), const std::string& base_dir = "/nonexistent") {
  return parse_config(yaml, base_dir, env);
}

constexpr std::string_view kUpstream = "upstream:\n  url: \"http://127.0.0.1:8081\"\n";

// An issuers list with one issuer "main" (name, issuer and, unless `key_source` is
// given, a jwks_uri), plus `extra`: further keys of that issuer, indented 4 spaces.
std::string issuers(std::string_view extra = "", std::string_view key_source = "    jwks_uri: \"https://auth.example.com/jwks.json\"\n") {
  return "issuers:\n  - name: main\n    issuer: \"https://auth.example.com\"\n" + std::string(key_source) +
         std::string(extra);
}

std::string minimal(std::string_view issuer_extra = "") { return std::string(kUpstream) + issuers(issuer_extra); }

constexpr std::string_view kPublicKeyPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAIMeKSsI9rGUIyyPOkbReQ9jQEvcQ6LOQVh8HA3h9An0=\n"
    "-----END PUBLIC KEY-----\n";

#define REQUIRE_LOADS(load) REQUIRE_MESSAGE((load).config.has_value(), problems_text(load))
#define CHECK_PROBLEM(load, path, reason) CHECK_MESSAGE(has_problem(load, path, reason), problems_text(load))

TEST_CASE("a minimal config gets every documented default") {
  auto load = parse(minimal());
  REQUIRE_LOADS(load);
  CHECK(load.problems.empty());
  const Config& c = *load.config;

  CHECK(c.listen.host == "0.0.0.0");
  CHECK(c.listen.port == 8080);
  CHECK(c.admin_listen.host == "0.0.0.0");
  CHECK(c.admin_listen.port == 9090);
  CHECK_FALSE(c.public_url.has_value());

  CHECK(c.upstream.url == "http://127.0.0.1:8081");
  CHECK_FALSE(c.upstream.auth_token.has_value());
  CHECK_FALSE(c.upstream.auth_token_origin.has_value());
  CHECK(c.upstream.timeout_ms == 30000);
  CHECK(c.upstream.max_connections == 64);

  CHECK(c.database.name == "mydb");
  CHECK_FALSE(c.database.id.has_value());
  CHECK_FALSE(c.database.group_id.has_value());

  REQUIRE(c.issuers.size() == 1);
  const auto& v = c.issuers[0].verification;
  CHECK(v.name == "main");
  CHECK(v.issuer == "https://auth.example.com");
  CHECK(v.key_source == jwks::KeySourceKind::jwks_uri);
  CHECK(v.key_location == "https://auth.example.com/jwks.json");
  CHECK(v.audiences.empty());
  CHECK(v.authorized_parties.empty());
  CHECK(v.algorithms == std::vector<jwks::Algorithm>{jwks::Algorithm::RS256});
  CHECK(v.clock_skew_s == 30);
  CHECK(v.refresh_interval_s == 600);
  CHECK(v.min_refresh_interval_s == 30);
  CHECK(v.max_stale_s == 86400);
  CHECK_FALSE(v.ca_file.has_value());
  const auto& claims = c.issuers[0].claims;
  CHECK(claims.permissions_claim == "perm");
  CHECK_FALSE(claims.roles_claim.has_value());
  CHECK(claims.roles.empty());
  CHECK(claims.default_grants.empty());

  CHECK(c.policy.mode == policy::Mode::enforce);
  CHECK_FALSE(c.policy.allow_temp_objects);
  CHECK(c.policy.allowed_pragmas ==
        std::vector<std::string>{"table_info", "table_xinfo", "index_list", "index_info", "foreign_key_list"});
  CHECK(c.policy.allowed_virtual_table_modules == std::vector<std::string>{"fts5", "rtree"});
  CHECK(c.policy.max_statement_bytes == 1048576);

  CHECK(c.limits.max_body_bytes == 10485760);
  CHECK(c.limits.max_token_bytes == 8192);
  CHECK(c.limits.max_connections == 10000);
  CHECK(c.limits.idle_timeout_ms == 60000);
  CHECK(c.limits.drain_timeout_ms == 20000);

  CHECK(c.logging.level == LogLevel::info);
  CHECK(c.logging.format == LogFormat::json);
  CHECK(c.logging.access_log);
}

TEST_CASE("every key is read when given") {
  ScratchDir dir;
  dir.write("token", "upstream-secret\n");
  dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
  auto load = parse(R"(
listen: "[::1]:18080"
admin_listen: "127.0.0.1:19090"
public_url: "https://db.example.com/gate"
upstream:
  url: "https://db.example.com:8443/"
  auth_token_file: token
  timeout_ms: 1500
  max_connections: 8
database:
  name: app
  id: "db-uuid"
  group_id: "group-uuid"
issuers:
  - name: auth0_prod
    issuer: "https://tenant.auth0.com/"
    discovery: true
    audiences: ["api", "api2"]
    authorized_parties: [web]
    algorithms: [ES256, EdDSA]
    clock_skew_s: 0
    refresh_interval_s: 300
    min_refresh_interval_s: 300
    max_stale_s: 0
    ca_file: ca.pem
    claims:
      permissions: permissions
      roles: "https://example.com/roles"
    roles:
      editor: ["posts:data_read,data_add", "all:data_read"]
      nobody: []
    default_grants: ["comments:data_read"]
policy:
  mode: audit
  allow_temp_objects: true
  allowed_pragmas: [table_list, index_xinfo]
  allowed_virtual_table_modules: [FTS5, fts5vocab]
  max_statement_bytes: 4096
limits:
  max_body_bytes: 2048
  max_token_bytes: 4096
  max_connections: 5
  idle_timeout_ms: 1000
  drain_timeout_ms: 500
logging:
  level: debug
  format: text
  access_log: false
)",
                    env_of({}), dir.path());
  REQUIRE_LOADS(load);
  const Config& c = *load.config;
  CHECK(c.listen.host == "::1");
  CHECK(c.listen.port == 18080);
  CHECK(c.admin_listen.host == "127.0.0.1");
  CHECK(c.admin_listen.port == 19090);
  CHECK(c.public_url == "https://db.example.com/gate");
  CHECK(c.upstream.url == "https://db.example.com:8443");
  CHECK(c.upstream.auth_token == "upstream-secret");
  CHECK(c.upstream.auth_token_origin == "auth_token_file " + dir.path() + "/token");
  CHECK(c.upstream.timeout_ms == 1500);
  CHECK(c.upstream.max_connections == 8);
  CHECK(c.database.name == "app");
  CHECK(c.database.id == "db-uuid");
  CHECK(c.database.group_id == "group-uuid");

  const auto& v = c.issuers.at(0).verification;
  CHECK(v.name == "auth0_prod");
  CHECK(v.issuer == "https://tenant.auth0.com/");
  CHECK(v.key_source == jwks::KeySourceKind::discovery);
  CHECK(v.key_location == "https://tenant.auth0.com/.well-known/openid-configuration");
  CHECK(v.audiences == std::vector<std::string>{"api", "api2"});
  CHECK(v.authorized_parties == std::vector<std::string>{"web"});
  CHECK(v.algorithms == std::vector<jwks::Algorithm>{jwks::Algorithm::ES256, jwks::Algorithm::EdDSA});
  CHECK(v.clock_skew_s == 0);
  CHECK(v.refresh_interval_s == 300);
  CHECK(v.min_refresh_interval_s == 300);
  CHECK(v.max_stale_s == 0);
  CHECK(v.ca_file == dir.path() + "/ca.pem");
  const auto& claims = c.issuers[0].claims;
  CHECK(claims.permissions_claim == "permissions");
  CHECK(claims.roles_claim == "https://example.com/roles");
  REQUIRE(claims.roles.size() == 2);
  CHECK(claims.roles.at("editor") ==
        std::vector<policy::Grant>{{"posts", policy::Action::data_read},
                                   {"posts", policy::Action::data_add},
                                   {std::nullopt, policy::Action::data_read}});
  CHECK(claims.roles.at("nobody").empty());
  CHECK(claims.default_grants == std::vector<policy::Grant>{{"comments", policy::Action::data_read}});

  CHECK(c.policy.mode == policy::Mode::audit);
  CHECK(c.policy.allow_temp_objects);
  CHECK(c.policy.allowed_pragmas == std::vector<std::string>{"table_list", "index_xinfo"});
  CHECK(c.policy.allowed_virtual_table_modules == std::vector<std::string>{"fts5", "fts5vocab"});
  CHECK(c.policy.max_statement_bytes == 4096);
  CHECK(c.limits.max_body_bytes == 2048);
  CHECK(c.limits.max_token_bytes == 4096);
  CHECK(c.limits.max_connections == 5);
  CHECK(c.limits.idle_timeout_ms == 1000);
  CHECK(c.limits.drain_timeout_ms == 500);
  CHECK(c.logging.level == LogLevel::debug);
  CHECK(c.logging.format == LogFormat::text);
  CHECK_FALSE(c.logging.access_log);
}

TEST_CASE("unknown keys are errors at every level, with a suggestion for typos") {
  SUBCASE("top level") {
    auto load = parse("lisen: \"0.0.0.0:8080\"\n" + minimal());
    CHECK_FALSE(load.config);
    CHECK_PROBLEM(load, "lisen", "unknown key; did you mean 'listen'?");
  }
  SUBCASE("nested in a section") {
    auto load = parse("upstream:\n  url: \"http://127.0.0.1:8081\"\n  timout_ms: 5\n" + issuers());
    CHECK_PROBLEM(load, "upstream.timout_ms", "did you mean 'timeout_ms'?");
  }
  SUBCASE("inside an issuer and its claims") {
    auto load = parse(minimal("    audience: [api]\n    claims:\n      permission: perm\n"));
    CHECK_PROBLEM(load, "issuers[0].audience", "did you mean 'audiences'?");
    CHECK_PROBLEM(load, "issuers[0].claims.permission", "did you mean 'permissions'?");
  }
  SUBCASE("no suggestion when nothing is close") {
    auto load = parse("completely_unrelated: 1\n" + minimal());
    CHECK_PROBLEM(load, "completely_unrelated", "unknown key");
    CHECK_FALSE(has_problem(load, "completely_unrelated", "did you mean"));
  }
  SUBCASE("a key given twice") {
    auto load = parse("logging:\n  level: info\n  level: debug\n" + minimal());
    CHECK_PROBLEM(load, "logging.level", "duplicate key");
  }
}

TEST_CASE("wrong YAML types are reported by path") {
  auto load = parse(minimal("    audiences: api\n    clock_skew_s: [1]\n") + R"(
listen: {host: x}
limits:
  max_body_bytes: lots
  max_token_bytes: 1.5
logging:
  access_log: yes
  level: [info]
database: [a, b]
policy:
  allowed_pragmas: table_info
)");
  CHECK_FALSE(load.config);
  CHECK_PROBLEM(load, "limits.max_body_bytes", "expected an integer");
  CHECK_PROBLEM(load, "limits.max_token_bytes", "expected an integer, got '1.5'");
  CHECK_PROBLEM(load, "listen", "expected a \"host:port\" string, got a mapping");
  CHECK_PROBLEM(load, "logging.access_log", "expected true or false, got 'yes'");
  CHECK_PROBLEM(load, "logging.level", "got a list");
  CHECK_PROBLEM(load, "database", "expected a mapping, got a list");
  CHECK_PROBLEM(load, "policy.allowed_pragmas", "expected a list");
  CHECK_PROBLEM(load, "issuers[0].audiences", "expected a list");
  CHECK_PROBLEM(load, "issuers[0].clock_skew_s", "expected an integer, got a list");
}

TEST_CASE("policy.allowed_virtual_table_modules: only modules the analysis understands, once each") {
  auto load = parse(minimal("") + R"(
policy:
  allowed_virtual_table_modules: [fts5, dbstat, fts5, my_module]
)");
  CHECK_FALSE(load.config);
  CHECK_PROBLEM(load, "policy.allowed_virtual_table_modules[1]", "module 'dbstat' is not one the gate can analyse");
  CHECK_PROBLEM(load, "policy.allowed_virtual_table_modules[2]", "duplicate module 'fts5'");
  CHECK_PROBLEM(load, "policy.allowed_virtual_table_modules[3]", "module 'my_module' is not one the gate can analyse");
}

TEST_CASE("numbers outside their range are errors") {
  auto load = parse(minimal("    clock_skew_s: 301\n    refresh_interval_s: 0\n    max_stale_s: -1\n") + R"(
limits:
  max_body_bytes: 0
  max_connections: 0
  idle_timeout_ms: -5
  drain_timeout_ms: 99999999999999999999999
)" + "upstream:\n  url: \"http://127.0.0.1:8081\"\n  timeout_ms: 0\n  max_connections: 100000\n");
  CHECK_PROBLEM(load, "issuers[0].clock_skew_s", "out of range (must be between 0 and 300)");
  CHECK_PROBLEM(load, "issuers[0].refresh_interval_s", "out of range");
  CHECK_PROBLEM(load, "issuers[0].max_stale_s", "out of range");
  CHECK_PROBLEM(load, "limits.max_body_bytes", "out of range");
  CHECK_PROBLEM(load, "limits.max_connections", "out of range");
  CHECK_PROBLEM(load, "limits.idle_timeout_ms", "out of range");
  CHECK_PROBLEM(load, "limits.drain_timeout_ms", "out of range");
  // The second `upstream` key is a duplicate: it is reported, not merged.
  CHECK_PROBLEM(load, "upstream", "duplicate key");

  auto upstream = parse(std::string("upstream:\n  url: \"http://127.0.0.1:8081\"\n  timeout_ms: 0\n  max_connections: 100000\n") +
                        issuers());
  CHECK_PROBLEM(upstream, "upstream.timeout_ms", "out of range");
  CHECK_PROBLEM(upstream, "upstream.max_connections", "out of range");
}

TEST_CASE("listen addresses") {
  SUBCASE("accepted forms") {
    for (auto [text, host, port] : {std::tuple{"0.0.0.0:8080", "0.0.0.0", 8080}, {"[::1]:8080", "::1", 8080},
                                    {"[::]:1", "::", 1}, {"localhost:0", "localhost", 0},
                                    {"127.0.0.1:65535", "127.0.0.1", 65535}}) {
      auto parsed = parse_listen_address(text);
      CHECK_MESSAGE(parsed.error.empty(), text, ": ", parsed.error);
      CHECK(parsed.address.host == host);
      CHECK(parsed.address.port == port);
    }
    CHECK(to_string(ListenAddress{"::1", 80}) == "[::1]:80");
  }
  SUBCASE("rejected forms, by path") {
    auto load = parse("listen: \"0.0.0.0\"\nadmin_listen: \"::1:9090\"\n" + minimal());
    CHECK_PROBLEM(load, "listen", "missing ':port'");
    CHECK_PROBLEM(load, "admin_listen", "IPv6 addresses must be written in brackets");
    CHECK(parse_listen_address("example.com:80").error.find("must be an IP address or localhost") != std::string::npos);
    CHECK(parse_listen_address("1.2.3.4:65536").error.find("out of range") != std::string::npos);
    CHECK(parse_listen_address("1.2.3.4:http").error.find("not a number") != std::string::npos);
    CHECK(parse_listen_address("[::1]8080").error.find("missing ':port'") != std::string::npos);
    CHECK(parse_listen_address("[nothex]:80").error.find("not an IPv6 address") != std::string::npos);
  }
  SUBCASE("listen and admin_listen must differ") {
    auto same = parse("listen: \"127.0.0.1:8080\"\nadmin_listen: \"127.0.0.1:8080\"\n" + minimal());
    CHECK_PROBLEM(same, "admin_listen", "collides with listen");
    auto wildcard = parse("listen: \"0.0.0.0:8080\"\nadmin_listen: \"127.0.0.1:8080\"\n" + minimal());
    CHECK_PROBLEM(wildcard, "admin_listen", "collides with listen");
    auto bad_listen = parse("listen: \"0.0.0.0:http\"\nadmin_listen: \"0.0.0.0:8080\"\n" + minimal());
    CHECK(bad_listen.problems.size() == 1);
    auto ephemeral = parse("listen: \"127.0.0.1:0\"\nadmin_listen: \"127.0.0.1:0\"\n" + minimal());
    CHECK_MESSAGE(ephemeral.config.has_value(), problems_text(ephemeral));
  }
}

TEST_CASE("upstream.url is required and must be a bare http(s) origin") {
  auto url_problem = [](std::string_view url) {
    auto load = parse("upstream:\n  url: \"" + std::string(url) + "\"\n" + issuers());
    return load.problems.empty() ? std::string() : problems_text(load);
  };
  CHECK(url_problem("http://127.0.0.1:8081").empty());
  CHECK(url_problem("https://[::1]:8443/").empty());
  CHECK(url_problem("http://db.internal/v2").find("must not have a path") != std::string::npos);
  CHECK(url_problem("http://db.internal/?x=1").find("query") != std::string::npos);
  CHECK(url_problem("http://user:pw@db.internal").find("credentials") != std::string::npos);
  CHECK(url_problem("libsql://db-org.turso.io").find("write the same address as https://") != std::string::npos);
  CHECK(url_problem("ftp://db.internal").find("not supported") != std::string::npos);
  CHECK(url_problem("db.internal:8081").find("expected an http:// or https:// URL") != std::string::npos);
  CHECK(url_problem("http://db.internal:0").find("port") != std::string::npos);

  auto missing = parse(issuers());
  CHECK_PROBLEM(missing, "upstream.url", "required");
  auto normalized = parse("upstream:\n  url: \"HTTPS://[::1]:8443/\"\n" + issuers());
  REQUIRE_LOADS(normalized);
  CHECK(normalized.config->upstream.url == "https://[::1]:8443");
}

TEST_CASE("public_url is an http(s) URL or null") {
  CHECK(parse("public_url: null\n" + minimal()).config.has_value());
  auto bad = parse("public_url: \"db.example.com\"\n" + minimal());
  CHECK_PROBLEM(bad, "public_url", "expected an http:// or https:// URL");
  auto empty = parse("public_url: \"\"\n" + minimal());
  CHECK_PROBLEM(empty, "public_url", "write null to leave it unset");
}

TEST_CASE("unknown actions in roles and default_grants are errors by path") {
  auto load = parse(minimal(R"(    claims:
      roles: "o.rol"
    roles:
      Moderator: ["posts:data_read", "posts:data_write"]
      member: "all:data_read"
    default_grants: ["comments:data_read", "comments:schema_drop", "nocolon"]
)"));
  CHECK_FALSE(load.config);
  CHECK_PROBLEM(load, "issuers[0].roles.Moderator[1]", "unknown action 'data_write'");
  CHECK_PROBLEM(load, "issuers[0].roles.member", "expected a list of grants");
  CHECK_PROBLEM(load, "issuers[0].default_grants[1]", "unknown action 'schema_drop'");
  CHECK_PROBLEM(load, "issuers[0].default_grants[2]", "'nocolon': expected TABLE:ACTION");
}

TEST_CASE("claim paths have no empty levels") {
  auto load = parse(minimal("    claims:\n      permissions: \"app..perm\"\n      roles: \"o.rol.\"\n"));
  CHECK_PROBLEM(load, "issuers[0].claims.permissions", "empty level");
  CHECK_PROBLEM(load, "issuers[0].claims.roles", "empty level");
  CHECK_PROBLEM(parse(minimal("    claims:\n      permissions: null\n")), "issuers[0].claims.permissions",
                "cannot be switched off");
  auto url_claim = parse(minimal("    claims:\n      roles: \"https://example.com/roles\"\n"));
  REQUIRE_LOADS(url_claim);
  CHECK(url_claim.config->issuers[0].claims.roles_claim == "https://example.com/roles");
}

TEST_CASE("roles without claims.roles could never apply") {
  auto load = parse(minimal("    roles:\n      admin: [\"all:data_read\"]\n"));
  CHECK_PROBLEM(load, "issuers[0].roles", "claims.roles is not set");
}

TEST_CASE("algorithms: known names only, no duplicates, not empty") {
  auto load = parse(minimal("    algorithms: [RS256, rs256, HS256, none, XX512, RS256]\n"));
  CHECK_FALSE(load.config);
  CHECK_PROBLEM(load, "issuers[0].algorithms[1]", "unknown algorithm 'rs256'; did you mean 'RS256'?");
  CHECK_PROBLEM(load, "issuers[0].algorithms[2]", "HMAC");
  CHECK_PROBLEM(load, "issuers[0].algorithms[3]", "'none' is never accepted");
  CHECK_PROBLEM(load, "issuers[0].algorithms[4]", "unknown algorithm 'XX512'");
  CHECK_PROBLEM(load, "issuers[0].algorithms[5]", "duplicate algorithm 'RS256'");
  CHECK_PROBLEM(parse(minimal("    algorithms: []\n")), "issuers[0].algorithms", "at least one algorithm");
  CHECK_PROBLEM(parse(minimal("    algorithms: null\n")), "issuers[0].algorithms", "at least one algorithm");
}

TEST_CASE("each issuer has exactly one key source") {
  ScratchDir dir;
  dir.write("keys/issuer.pem", kPublicKeyPem);
  dir.write("jwks.json", R"({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "k"}]})");
  auto load_with = [&](std::string_view key_source) {
    return parse(std::string(kUpstream) + issuers("", key_source), env_of({}), dir.path());
  };

  SUBCASE("none") {
    auto load = load_with("");
    CHECK_PROBLEM(load, "issuers[0]", "needs a key source");
    CHECK_PROBLEM(load_with("    discovery: false\n"), "issuers[0]", "needs a key source");
  }
  SUBCASE("two") {
    auto load = load_with("    jwks_uri: \"https://auth.example.com/jwks\"\n    keys_file: keys/issuer.pem\n");
    CHECK_PROBLEM(load, "issuers[0]", "has 2 key sources (jwks_uri, keys_file); keep exactly one");
  }
  SUBCASE("keys_file and jwks_file resolve against the config's directory") {
    auto pem = load_with("    keys_file: keys/issuer.pem\n");
    REQUIRE_LOADS(pem);
    CHECK(pem.config->issuers[0].verification.key_source == jwks::KeySourceKind::keys_file);
    CHECK(pem.config->issuers[0].verification.key_location == dir.path() + "/keys/issuer.pem");
    auto jwks = load_with("    jwks_file: " + dir.path() + "/jwks.json\n");
    REQUIRE_LOADS(jwks);
    CHECK(jwks.config->issuers[0].verification.key_source == jwks::KeySourceKind::jwks_file);
    CHECK(jwks.config->issuers[0].verification.key_location == dir.path() + "/jwks.json");
  }
  SUBCASE("discovery strips the issuer's trailing slash") {
    auto load = parse(std::string(kUpstream) +
                      "issuers:\n  - name: a\n    issuer: \"https://tenant.auth0.com/\"\n    discovery: true\n");
    REQUIRE_LOADS(load);
    CHECK(load.config->issuers[0].verification.key_location ==
          "https://tenant.auth0.com/.well-known/openid-configuration");
  }
  SUBCASE("discovery needs an https issuer URL") {
    auto load = parse(std::string(kUpstream) + "issuers:\n  - name: a\n    issuer: \"turso\"\n    discovery: true\n");
    CHECK_PROBLEM(load, "issuers[0].discovery", "needs issuer to be an https URL");
    auto plain = parse(std::string(kUpstream) +
                       "issuers:\n  - name: a\n    issuer: \"http://idp.example.com\"\n    discovery: true\n");
    CHECK_PROBLEM(plain, "issuers[0].discovery", "must use https");
  }
}

TEST_CASE("jwks_uri must be https unless the host is loopback") {
  auto with_uri = [](std::string_view uri) {
    return parse(std::string(kUpstream) + issuers("", "    jwks_uri: \"" + std::string(uri) + "\"\n"));
  };
  CHECK_PROBLEM(with_uri("http://auth.example.com/jwks.json"), "issuers[0].jwks_uri",
                "must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)");
  CHECK_PROBLEM(with_uri("http://10.0.0.5:8080/jwks.json"), "issuers[0].jwks_uri", "must use https");
  CHECK_PROBLEM(with_uri("http://127.0.0.2/jwks.json"), "issuers[0].jwks_uri", "must use https");
  CHECK(with_uri("http://127.0.0.1:8080/jwks.json").config.has_value());
  CHECK(with_uri("http://localhost/jwks.json").config.has_value());
  CHECK(with_uri("http://[::1]:9000/jwks.json").config.has_value());
  CHECK(with_uri("https://auth.example.com/jwks.json?v=1").config.has_value());
  CHECK_PROBLEM(with_uri("jwks.json"), "issuers[0].jwks_uri", "expected an http:// or https:// URL");
}

TEST_CASE("issuers: at least one, each named uniquely with an issuer") {
  CHECK_PROBLEM(parse(kUpstream), "issuers", "at least one issuer is required");
  CHECK_PROBLEM(parse(std::string(kUpstream) + "issuers: []\n"), "issuers", "at least one issuer is required");
  CHECK_PROBLEM(parse(std::string(kUpstream) + "issuers:\n  - 5\n"), "issuers[0]", "expected a mapping");

  auto missing = parse(std::string(kUpstream) + "issuers:\n  - jwks_uri: \"https://a.example/jwks\"\n");
  CHECK_PROBLEM(missing, "issuers[0].name", "required");
  CHECK_PROBLEM(missing, "issuers[0].issuer", "required");

  auto bad_name = parse(std::string(kUpstream) + issuers().replace(issuers().find("main"), 4, "Main Issuer"));
  CHECK_PROBLEM(bad_name, "issuers[0].name", "[a-z0-9_-]");

  auto duplicate = parse(std::string(kUpstream) + issuers() +
                         "  - name: main\n    issuer: \"https://other.example.com\"\n"
                         "    jwks_uri: \"https://other.example.com/jwks\"\n"
                         "  - name: other\n    issuer: \"https://auth.example.com\"\n"
                         "    jwks_uri: \"https://auth.example.com/jwks2\"\n");
  CHECK_PROBLEM(duplicate, "issuers[1].name", "duplicate issuer name 'main' (also issuers[0])");
  CHECK_PROBLEM(duplicate, "issuers[2].issuer", "the same issuer is configured in issuers[0]");
}

TEST_CASE("min_refresh_interval_s may not exceed refresh_interval_s") {
  auto load = parse(minimal("    refresh_interval_s: 60\n    min_refresh_interval_s: 120\n"));
  CHECK_PROBLEM(load, "issuers[0].min_refresh_interval_s", "120 is greater than refresh_interval_s (60)");
  CHECK(parse(minimal("    refresh_interval_s: 60\n    min_refresh_interval_s: 60\n")).config.has_value());
}

TEST_CASE("files named by the config must exist and be readable") {
  ScratchDir dir;
  dir.write("private.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  dir.write("not-pem.txt", "hello\n");
  dir.write("not-jwks.json", R"({"kty": "RSA"})");
  dir.write("private.jwks.json", R"({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "BB"}]})");
  auto with = [&](std::string_view issuer_lines, std::string_view upstream_lines = "") {
    return parse("upstream:\n  url: \"http://127.0.0.1:8081\"\n" + std::string(upstream_lines) +
                     issuers(issuer_lines, ""),
                 env_of({}), dir.path());
  };
  CHECK_PROBLEM(with("    keys_file: missing.pem\n"), "issuers[0].keys_file",
                "cannot read " + dir.path() + "/missing.pem: no such file");
  CHECK_PROBLEM(with("    jwks_file: /nonexistent/jwks.json\n"), "issuers[0].jwks_file", "no such file");
  CHECK_PROBLEM(with("    keys_file: .\n"), "issuers[0].keys_file", "not a regular file");
  CHECK_PROBLEM(with("    keys_file: private.pem\n"), "issuers[0].keys_file", "PRIVATE key");
  CHECK_PROBLEM(with("    keys_file: not-pem.txt\n"), "issuers[0].keys_file", "no PEM block");
  CHECK_PROBLEM(with("    jwks_file: not-jwks.json\n"), "issuers[0].jwks_file", "not a JWKS document");
  CHECK_PROBLEM(with("    jwks_file: not-pem.txt\n"), "issuers[0].jwks_file", "not valid JSON");
  CHECK_PROBLEM(with("    jwks_file: private.jwks.json\n"), "issuers[0].jwks_file", "PRIVATE key");
  CHECK_PROBLEM(with("    jwks_uri: \"https://a.example/jwks\"\n    ca_file: missing-ca.pem\n"), "issuers[0].ca_file",
                "no such file");
  dir.write("issuer.pem", kPublicKeyPem);
  CHECK_PROBLEM(with("    jwks_uri: \"https://a.example/jwks\"\n    ca_file: issuer.pem\n"), "issuers[0].ca_file",
                "holds no PEM certificate");
  CHECK_PROBLEM(with("    keys_file: issuer.pem\n    ca_file: issuer.pem\n"), "issuers[0].ca_file",
                "only applies to keys fetched over https");
  CHECK_PROBLEM(with("    jwks_uri: \"https://a.example/jwks\"\n", "  auth_token_file: no-token\n"),
                "upstream.auth_token_file", "no such file");
}

TEST_CASE("the upstream credential: at most one source, resolved at load") {
  ScratchDir dir;
  dir.write("token", "file-token\r\n");
  dir.write("empty-token", "\n");
  auto with = [&](std::string_view upstream_lines, std::map<std::string, std::string> env = {}) {
    return parse("upstream:\n  url: \"http://127.0.0.1:8081\"\n" + std::string(upstream_lines) + issuers(),
                 env_of(std::move(env)), dir.path());
  };
  auto from_file = with("  auth_token_file: token\n");
  REQUIRE_LOADS(from_file);
  CHECK(from_file.config->upstream.auth_token == "file-token");

  auto from_env = with("  auth_token_env: SQLD_TOKEN\n", {{"SQLD_TOKEN", "env-token"}});
  REQUIRE_LOADS(from_env);
  CHECK(from_env.config->upstream.auth_token == "env-token");
  CHECK(from_env.config->upstream.auth_token_origin == "auth_token_env SQLD_TOKEN");

  auto inline_token = with("  auth_token: \"${SQLD_TOKEN}\"\n", {{"SQLD_TOKEN", "expanded"}});
  REQUIRE_LOADS(inline_token);
  CHECK(inline_token.config->upstream.auth_token == "expanded");
  CHECK(inline_token.config->upstream.auth_token_origin == "auth_token");

  CHECK_PROBLEM(with("  auth_token_env: SQLD_TOKEN\n"), "upstream.auth_token_env",
                "environment variable SQLD_TOKEN is not set");
  auto token_as_name = with("  auth_token_env: \"${SQLD_TOKEN}\"\n", {{"SQLD_TOKEN", "eyJ.secret.sig"}});
  CHECK_PROBLEM(token_as_name, "upstream.auth_token_env", "must be the name of an environment variable");
  CHECK(problems_text(token_as_name).find("secret") == std::string::npos);
  CHECK_PROBLEM(with("  auth_token_file: empty-token\n"), "upstream.auth_token_file", "the token is empty");
  CHECK_PROBLEM(with("  auth_token_file: token\n  auth_token: \"x\"\n"), "upstream.auth_token",
                "only one of auth_token_file, auth_token_env, auth_token");
}

TEST_CASE("${NAME} expansion in scalar values") {
  SUBCASE("expanded, with fallbacks and the $${ escape") {
    auto load = parse(std::string(kUpstream) + issuers("    audiences: [\"${AUD}\", \"$${LITERAL}\", \"${MISSING:-fallback}\"]\n") +
                          "listen: \"127.0.0.1:${PORT}\"\nlimits:\n  max_connections: ${MAX}\n",
                      env_of({{"AUD", "api"}, {"PORT", "18080"}, {"MAX", "12"}}));
    REQUIRE_LOADS(load);
    CHECK(load.config->listen.port == 18080);
    CHECK(load.config->limits.max_connections == 12);
    CHECK(load.config->issuers[0].verification.audiences == std::vector<std::string>{"api", "${LITERAL}", "fallback"});
  }
  SUBCASE("an unset variable is an error naming it") {
    auto load = parse("database:\n  name: \"${DB_NAME}\"\n" + minimal());
    CHECK_FALSE(load.config);
    CHECK_PROBLEM(load, "database.name", "environment variable DB_NAME is not set");
  }
  SUBCASE("a value never changes the document's structure") {
    auto load = parse("database:\n  name: \"${DB_NAME}\"\n" + minimal(), env_of({{"DB_NAME", "x\nid: injected"}}));
    REQUIRE_LOADS(load);
    CHECK(load.config->database.name == "x\nid: injected");
    CHECK_FALSE(load.config->database.id.has_value());
  }
  SUBCASE("expand_env directly") {
    auto env = env_of({{"A", "1"}, {"EMPTY", ""}});
    CHECK(expand_env("x${A}y$A$", env).value == "x1y$A$");
    CHECK(expand_env("${EMPTY}", env).value.empty());
    CHECK(expand_env("${EMPTY:-d}", env).value == "d");
    CHECK(expand_env("$${A}", env).value == "${A}");
    CHECK(expand_env("${A", env).error.find("unterminated") != std::string::npos);
    CHECK(expand_env("${1A}", env).error.find("not a valid") != std::string::npos);
    CHECK(expand_env("${B}", env).error == "environment variable B is not set");
  }
}

TEST_CASE("allowed_pragmas lists only reading pragmas") {
  auto load = parse(minimal() + "policy:\n  allowed_pragmas: [Table_Info, writable_schema, journal_mode, "
                                "pragma_index_list, table_info, frobnicate]\n");
  CHECK_FALSE(load.config);
  CHECK_PROBLEM(load, "policy.allowed_pragmas[1]", "pragma 'writable_schema' is not allowed");
  CHECK_PROBLEM(load, "policy.allowed_pragmas[2]", "pragma 'journal_mode' is not allowed");
  CHECK_PROBLEM(load, "policy.allowed_pragmas[3]", "without the 'pragma_' prefix");
  CHECK_PROBLEM(load, "policy.allowed_pragmas[4]", "duplicate pragma 'table_info'");
  CHECK_PROBLEM(load, "policy.allowed_pragmas[5]", "not a known read-only pragma");
  CHECK_FALSE(has_problem(load, "policy.allowed_pragmas[0]", ""));

  auto none = parse(minimal() + "policy:\n  allowed_pragmas: []\n");
  REQUIRE_LOADS(none);
  CHECK(none.config->policy.allowed_pragmas.empty());
}

TEST_CASE("enumerations") {
  auto load = parse(minimal() + "policy:\n  mode: enforced\nlogging:\n  level: verbose\n  format: xml\n");
  CHECK_PROBLEM(load, "policy.mode", "unknown value 'enforced' (expected enforce | audit)");
  CHECK_PROBLEM(load, "logging.level", "expected debug | info | warn | error");
  CHECK_PROBLEM(load, "logging.format", "expected json | text");
}

TEST_CASE("YAML syntax errors and non-mapping documents") {
  auto syntax = parse("upstream:\n  url: [1, 2\nissuers: 3\n");
  REQUIRE(syntax.problems.size() == 1);
  CHECK(syntax.problems[0].path.empty());
  CHECK(syntax.problems[0].reason.find("YAML syntax error at line 3, column") != std::string::npos);
  CHECK_FALSE(syntax.config);

  auto tab = parse("upstream:\n\turl: x\n");
  CHECK_FALSE(tab.config);
  CHECK(tab.problems.at(0).reason.find("YAML syntax error at line 2") != std::string::npos);

  CHECK_PROBLEM(parse(""), "", "the config is empty");
  CHECK_PROBLEM(parse("- a\n- b\n"), "", "expected a mapping of keys at the top level, got a list");
  CHECK_PROBLEM(parse(minimal() + "---\n" + minimal()), "", "2 YAML documents");
}

TEST_CASE("a config with a misspelled key, a bad address and an unknown action names all three") {
  auto load = parse(test::kThreeProblemConfig);
  CHECK_FALSE(load.config);
  CHECK(load.problems.size() == 3);
  CHECK_PROBLEM(load, "upstream.max_conections", "did you mean 'max_connections'?");
  CHECK_PROBLEM(load, "listen", "port 80800 is out of range");
  CHECK_PROBLEM(load, "issuers[0].roles.Moderator[1]", "unknown action 'data_write'");
}

TEST_CASE("load_config_file resolves relative paths against the file's directory") {
  ScratchDir dir;
  dir.write("conf/keys/k.pem", kPublicKeyPem);
  std::string path = dir.write("conf/gate.yaml", std::string(kUpstream) + issuers("", "    keys_file: keys/k.pem\n"));
  auto load = load_config_file(path);
  REQUIRE_LOADS(load);
  CHECK(load.config->issuers[0].verification.key_location == dir.path() + "/conf/keys/k.pem");

  auto missing = load_config_file(dir.path() + "/nope.yaml");
  CHECK_FALSE(missing.config);
  CHECK_PROBLEM(missing, dir.path() + "/nope.yaml", "no such file");
}

}  // namespace
}  // namespace gate::proxy
