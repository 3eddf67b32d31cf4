// `libsql-gate check` (SPEC §1) run as a real process: exit codes 0 / 1 / 2, every
// problem on stderr as `path: reason`, and a summary that never shows the token.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config_test_support.hpp"
#include "tests/unit/support/process_run.hpp"

namespace gate::proxy {
namespace {

using test::ScratchDir;

using gate::test::shell_quoted;

// Runs `[env] libsql-gate check ARGS` with stderr captured in `scratch`.
gate::test::ProcessRun run_check(const ScratchDir& scratch, const std::string& args, const std::string& env = "") {
  auto run = gate::test::run_command(
      "env -u LIBSQL_GATE_CONFIG " + env + " " + shell_quoted(GATE_BINARY) + " check " + args,
      scratch.path() + "/stderr.txt");
  REQUIRE(run.exit_code != -1);
  return run;
}

TEST_CASE("check accepts every shipped example config") {
  ScratchDir scratch;
  std::vector<std::filesystem::path> examples;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(GATE_SOURCE_DIR) + "/deploy/examples")) {
    if (entry.path().extension() == ".yaml") examples.push_back(entry.path());
  }
  std::sort(examples.begin(), examples.end());
  REQUIRE(examples.size() >= 5);
  for (const auto& example : examples) {
    CAPTURE(example);
    auto run = run_check(scratch, "--config " + shell_quoted(example.string()));
    CHECK_MESSAGE(run.exit_code == 0, run.err);
    CHECK(run.out.find(": OK") != std::string::npos);
    CHECK(run.out.find("issuers") != std::string::npos);
  }
}

TEST_CASE("check prints a summary without the upstream token") {
  ScratchDir scratch;
  std::string config = scratch.write("gate.yaml", R"(
upstream:
  url: "http://127.0.0.1:8081"
  auth_token: "s3cret-upstream-token"
issuers:
  - name: clerk
    issuer: "https://example.clerk.accounts.dev"
    jwks_uri: "https://example.clerk.accounts.dev/.well-known/jwks.json"
    audiences: [api]
    claims:
      roles: "o.rol"
    roles:
      admin: ["all:data_read"]
)");
  auto run = run_check(scratch, "--config " + shell_quoted(config));
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  CHECK(run.out.find("s3cret") == std::string::npos);
  CHECK(run.err.find("s3cret") == std::string::npos);
  CHECK(run.out.find("credential    set, from auth_token") != std::string::npos);
  CHECK(run.out.find("0.0.0.0:8080") != std::string::npos);
  CHECK(run.out.find("0.0.0.0:9090") != std::string::npos);
  CHECK(run.out.find("http://127.0.0.1:8081") != std::string::npos);
  CHECK(run.out.find("- clerk") != std::string::npos);
  CHECK(run.out.find("jwks_uri https://example.clerk.accounts.dev/.well-known/jwks.json") != std::string::npos);
  CHECK(run.out.find("algorithms      RS256") != std::string::npos);
  CHECK(run.out.find("audiences       api") != std::string::npos);
  CHECK(run.out.find("roles           1 role (admin: 1 grant)") != std::string::npos);
  CHECK(run.out.find("mode enforce") != std::string::npos);
}

TEST_CASE("check reports every problem by path and exits 1") {
  ScratchDir scratch;
  std::string config = scratch.write("bad.yaml", test::kThreeProblemConfig);
  auto run = run_check(scratch, "--config " + shell_quoted(config));
  CHECK(run.exit_code == 1);
  CHECK(run.out.empty());
  CHECK(run.err.find("\nupstream.max_conections: unknown key; did you mean 'max_connections'?\n") != std::string::npos);
  CHECK(run.err.find("listen: port 80800 is out of range") == 0);
  CHECK(run.err.find("\nissuers[0].roles.Moderator[1]: unknown action 'data_write'") != std::string::npos);
  CHECK(run.err.find("3 problems") != std::string::npos);

  std::string syntax = scratch.write("syntax.yaml", "upstream: [1,\n");
  auto broken = run_check(scratch, "--config " + shell_quoted(syntax));
  CHECK(broken.exit_code == 1);
  CHECK(broken.err.find(syntax + ": YAML syntax error at line") == 0);
}

TEST_CASE("check takes the config from LIBSQL_GATE_CONFIG when --config is absent") {
  ScratchDir scratch;
  std::string config = scratch.write("gate.yaml",
                                     "upstream:\n  url: \"http://127.0.0.1:8081\"\nissuers:\n  - name: a\n"
                                     "    issuer: \"https://a.example\"\n    jwks_uri: \"https://a.example/jwks\"\n");
  auto run = run_check(scratch, "", "LIBSQL_GATE_CONFIG=" + shell_quoted(config));
  CHECK_MESSAGE(run.exit_code == 0, run.err);
  CHECK(run.out.find(config + ": OK") == 0);
}

TEST_CASE("check usage errors exit 2") {
  ScratchDir scratch;
  auto unknown_flag = run_check(scratch, "--cofig x.yaml");
  CHECK(unknown_flag.exit_code == 2);
  CHECK(unknown_flag.err.find("unknown flag --cofig") != std::string::npos);
  CHECK(unknown_flag.err.find("usage:") != std::string::npos);

  auto no_config = run_check(scratch, "");
  CHECK(no_config.exit_code == 2);
  CHECK(no_config.err.find("no config given: pass --config FILE or set LIBSQL_GATE_CONFIG") != std::string::npos);

  auto missing = run_check(scratch, "--config " + shell_quoted(scratch.path() + "/missing.yaml"));
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("does not exist") != std::string::npos);
}

}  // namespace
}  // namespace gate::proxy
