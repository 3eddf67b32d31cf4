// `libsql-gate explain` (SPEC §1) run as a real process: JSON on stdout with the
// principal, grants, per-statement requirements and the decision; exit 0 allowed,
// 1 denied or unusable input, 2 usage error.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/unit/support/process_run.hpp"

namespace {

using nlohmann::json;

using gate::test::shell_quoted;

struct Run : gate::test::ProcessRun {
  json output() const {
    json parsed = json::parse(out, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    return parsed;
  }
};

// A scratch directory with a dev issuer (keygen) and a config trusting it.
class ExplainFixture {
 public:
  ExplainFixture() {
    dir_ = std::filesystem::temp_directory_path() /
           ("explain-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
    Run keygen = run_binary("keygen --alg EdDSA --kid k1 --out " + shell_quoted(path("keys")));
    REQUIRE(keygen.exit_code == 0);
    std::ofstream(path("gate.yaml")) << "upstream:\n  url: \"http://127.0.0.1:8081\"\n"
                                        "database:\n  name: mydb\n"
                                        "issuers:\n"
                                        "  - name: dev\n"
                                        "    issuer: \"http://localhost/dev\"\n"
                                        "    jwks_file: \"" << path("keys/jwks.json") << "\"\n"
                                        "    algorithms: [EdDSA]\n"
                                        "    claims:\n      roles: \"o.rol\"\n"
                                        "    roles:\n      member: [\"all:data_read\", \"comments:data_add\"]\n";
    std::ofstream(path("schema.sql")) << "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
                                         "CREATE TABLE comments (id INTEGER PRIMARY KEY, body TEXT);\n"
                                         "CREATE INDEX users_name ON users(name);\n";
  }
  ~ExplainFixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  Run run_binary(const std::string& args) const {
    Run run;
    static_cast<gate::test::ProcessRun&>(run) = gate::test::run_command(
        "env -u LIBSQL_GATE_CONFIG " + shell_quoted(GATE_BINARY) + " " + args, (dir_ / "stderr.txt").string());
    REQUIRE(run.exit_code != -1);
    return run;
  }

  Run explain_claims(const json& claims, const std::string& sql) const {
    return run_binary("explain --config " + shell_quoted(path("gate.yaml")) + " --claims " +
                      shell_quoted(claims.dump()) + " --sql " + shell_quoted(sql) + " --schema " +
                      shell_quoted(path("schema.sql")));
  }

  std::string mint(const std::string& extra) const {
    Run minted = run_binary("mint --key " + shell_quoted(path("keys/private.pem")) +
                            " --kid k1 --iss http://localhost/dev --sub alice " + extra);
    REQUIRE(minted.exit_code == 0);
    std::string token = minted.out;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    return token;
  }

 private:
  std::filesystem::path dir_;
};

const json kMember = {{"iss", "http://localhost/dev"}, {"sub", "u1"}, {"o", {{"rol", "member"}}}};

}  // namespace

TEST_CASE("explain: --claims, allowed statements, exit 0") {
  ExplainFixture fixture;
  Run run = fixture.explain_claims(kMember, "SELECT name FROM users; INSERT INTO comments(body) VALUES ('hi')");
  CAPTURE(run.err);
  REQUIRE(run.exit_code == 0);
  json out = run.output();
  CHECK(out["principal"]["source"] == "claims");
  CHECK(out["principal"]["verified"] == false);
  CHECK(out["principal"]["issuer"] == "dev");
  CHECK(out["principal"]["sub"] == "u1");
  CHECK(out["scope"]["ok"] == true);
  CHECK(out["grants"]["grants"] == json::array({"all:data_read", "comments:data_add"}));
  REQUIRE(out["statements"].size() == 2);
  CHECK(out["statements"][0]["requirements"] ==
        json::array({{{"table", "users"}, {"action", "data_read"}}}));
  CHECK(out["statements"][1]["requirements"] ==
        json::array({{{"table", "comments"}, {"action", "data_add"}}}));
  CHECK(out["statements"][1]["verdict"]["allowed"] == true);
  CHECK(out["decision"]["allowed"] == true);
}

TEST_CASE("explain: a denied statement names the first failure, exit 1") {
  ExplainFixture fixture;
  Run run = fixture.explain_claims(kMember, "SELECT 1; UPDATE comments SET body = 'x'; DELETE FROM users");
  CHECK(run.exit_code == 1);
  json out = run.output();
  CHECK(out["decision"]["allowed"] == false);
  CHECK(out["decision"]["code"] == "SQLITE_AUTH");
  CHECK(out["decision"]["failed_statement"] == 1);
  CHECK(out["decision"]["message"] == "permission denied: data_update on table \"comments\"");
  CHECK(out["statements"][2]["verdict"]["message"] == "permission denied: data_delete on table \"users\"");
  CHECK(out["decision"]["reasons"].size() >= 2);
}

TEST_CASE("explain: parse errors and scope failures") {
  ExplainFixture fixture;
  Run parse = fixture.explain_claims(kMember, "SELECT * FROM nowhere");
  CHECK(parse.exit_code == 1);
  CHECK(parse.output()["decision"]["code"] == "SQL_PARSE_ERROR");

  json other_db = kMember;
  other_db["p"] = {{"rw", {{"ns", {"otherdb"}}}}};
  Run scope = fixture.explain_claims(other_db, "SELECT 1");
  CHECK(scope.exit_code == 1);
  json out = scope.output();
  CHECK(out["scope"]["status"] == "p_no_match");
  CHECK(out["decision"]["code"] == "AUTH_DATABASE_SCOPE");
  CHECK(out["grants"]["grants"].empty());
}

TEST_CASE("explain: --token is verified with the issuer's keys") {
  ExplainFixture fixture;
  std::string token = fixture.mint("--perm comments:data_add");
  Run run = fixture.run_binary("explain --config " + shell_quoted(fixture.path("gate.yaml")) +
                               " --token " + shell_quoted(token) + " --sql " +
                               shell_quoted("INSERT INTO comments(body) VALUES (1)") + " --schema " +
                               shell_quoted(fixture.path("schema.sql")));
  CAPTURE(run.err);
  REQUIRE(run.exit_code == 0);
  json out = run.output();
  CHECK(out["principal"]["source"] == "token");
  CHECK(out["principal"]["verified"] == true);
  CHECK(out["principal"]["sub"] == "alice");
  CHECK(out["grants"]["grants"] == json::array({"comments:data_add"}));

  // A tampered token is rejected with the reason, never explained.
  std::string tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  Run bad = fixture.run_binary("explain --config " + shell_quoted(fixture.path("gate.yaml")) +
                               " --token " + shell_quoted(tampered) + " --sql 'SELECT 1'");
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.empty());
  CHECK(bad.err.find("token rejected") != std::string::npos);
}

TEST_CASE("explain: usage errors exit 2") {
  ExplainFixture fixture;
  std::string config = " --config " + shell_quoted(fixture.path("gate.yaml"));
  CHECK(fixture.run_binary("explain" + config + " --sql 'SELECT 1'").exit_code == 2);
  CHECK(fixture.run_binary("explain" + config + " --claims '{}' --token x --sql 'SELECT 1'").exit_code == 2);
  CHECK(fixture.run_binary("explain" + config + " --claims '{}'").exit_code == 2);
  CHECK(fixture.run_binary("explain --claims '{}' --sql 'SELECT 1'").exit_code == 2);
  CHECK(fixture.run_binary("explain" + config + " --claims '{}' --sql 'SELECT 1' --bogus 1").exit_code == 2);
  // Claims that are not a JSON object, or name no issuer: the command fails (1).
  Run not_json = fixture.run_binary("explain" + config + " --claims '[1' --sql 'SELECT 1'");
  CHECK(not_json.exit_code == 1);
  CHECK(not_json.err.find("--claims") != std::string::npos);
  CHECK(fixture.run_binary("explain" + config + " --claims '{\"iss\":\"https://evil\"}' --sql 'SELECT 1'")
            .exit_code == 1);
}

TEST_CASE("explain: both witnesses, and what only the program showed") {
  ExplainFixture fixture;
  const json only_comments = {{"iss", "http://localhost/dev"}, {"sub", "u1"},
                              {"perm", json::array({"comments:data_read"})}};
  // SQLite 3.40.1's authorizer reports no read of users here; the program opens it.
  Run gap = fixture.explain_claims(only_comments, "SELECT * FROM users a NATURAL FULL JOIN users b");
  CHECK(gap.exit_code == 1);
  json out = gap.output();
  REQUIRE(out["statements"].size() == 1);
  const json& statement = out["statements"][0];
  const json read_users = {{"table", "users"}, {"action", "data_read"}};
  CHECK(statement["requirements"] == json::array({read_users}));
  CHECK(statement["witnesses"]["authorizer"] == json::array());
  CHECK(statement["witnesses"]["program"]["added"] == json::array({read_users}));
  CHECK(statement["witnesses"]["program"]["opened"] ==
        json::array({{{"kind", "table"}, {"table", "users"}, {"access", "read"}}}));
  CHECK(out["decision"]["message"] == "permission denied: data_read on table \"users\"");

  // Both witnesses agree: nothing added; an index open names its table.
  Run agree = fixture.explain_claims(kMember, "SELECT name FROM users WHERE name = 'a'");
  CHECK(agree.exit_code == 0);
  json witnesses = agree.output()["statements"][0]["witnesses"];
  CHECK(witnesses["authorizer"] == json::array({read_users}));
  CHECK(witnesses["program"]["added"] == json::array());
  CHECK(witnesses["program"]["opened"] ==
        json::array({{{"kind", "table"}, {"table", "users"}, {"access", "read"}, {"index", "users_name"}}}));
}
