#pragma once
// Shared by the config tests: a scratch directory removed at the end of each test,
// and readable assertions over a ConfigLoad's problems.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "proxy/config.hpp"

namespace gate::proxy::test {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "libsql-gate-config-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) FAIL("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes `contents` to `name` inside the directory; returns the full path.
  std::string write(const std::string& name, std::string_view contents) const {
    std::filesystem::path file = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << contents;
    return file.string();
  }

 private:
  std::string path_;
};

// The "Done when" config of issue 2: a misspelled key, a bad address and an unknown
// action, which must all be reported, each by its path.
inline constexpr std::string_view kThreeProblemConfig = R"(
listen: "0.0.0.0:80800"
upstream:
  url: "http://127.0.0.1:8081"
  max_conections: 10
issuers:
  - name: main
    issuer: "https://auth.example.com"
    jwks_uri: "https://auth.example.com/jwks.json"
    claims:
      roles: "o.rol"
    roles:
      Moderator: ["posts:data_read", "posts:data_write"]
)";

// Every problem as "path: reason", one per line (for failure messages).
inline std::string problems_text(const ConfigLoad& load) {
  std::string out;
  for (const auto& problem : load.problems) out += problem.path + ": " + problem.reason + "\n";
  return out;
}

// True when a problem has exactly `path` and its reason contains `reason_part`.
inline bool has_problem(const ConfigLoad& load, std::string_view path, std::string_view reason_part) {
  for (const auto& problem : load.problems) {
    if (problem.path == path && problem.reason.find(reason_part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace gate::proxy::test
