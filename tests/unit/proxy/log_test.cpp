#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proxy/log.hpp"

using gate::proxy::LogFormat;
using gate::proxy::Logger;
using gate::proxy::LoggingConfig;
using gate::proxy::LogLevel;

namespace {

// Everything written to a temporary file, line by line.
std::vector<std::string> lines_of(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string all;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file)) > 0;) all.append(buf, n);
  std::vector<std::string> lines;
  std::istringstream in(all);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE((all.empty() || all.back() == '\n'));
  return lines;
}

}  // namespace

TEST_CASE("log: a JSON line is time, level, msg, then the fields in order") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  Logger logger(file);
  logger.info("access", {{"status", 200}, {"path", "/v2/pipeline"}, {"tables", nlohmann::json::array({"users"})},
                         {"latency_ms", 0.5}});
  logger.warn("quote \" and \n newline");
  logger.debug("not shown at info");
  const auto lines = lines_of(file);
  std::fclose(file);
  REQUIRE(lines.size() == 2);
  const auto record = nlohmann::ordered_json::parse(lines[0]);
  std::vector<std::string> keys;
  for (const auto& [key, value] : record.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"time", "level", "msg", "latency_ms", "path", "status", "tables"});
  CHECK(record["level"] == "info");
  CHECK(record["msg"] == "access");
  CHECK(record["status"] == 200);
  CHECK(record["tables"].dump() == R"(["users"])");
  CHECK(lines[0].find(R"("path":"/v2/pipeline")") != std::string::npos);
  CHECK(record["time"].get<std::string>().size() == 24);  // 2026-01-02T03:04:05.678Z
  CHECK(nlohmann::json::parse(lines[1])["msg"] == "quote \" and \n newline");
}

TEST_CASE("log: a field named like a header takes its slot, invalid UTF-8 is replaced") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  Logger logger(file);
  logger.error("m", {{"msg", "from field"}, {"x", "\xff"}});
  const auto lines = lines_of(file);
  std::fclose(file);
  REQUIRE(lines.size() == 1);
  const auto record = nlohmann::ordered_json::parse(lines[0]);
  CHECK(record.size() == 4);
  CHECK(record["msg"] == "from field");
  CHECK(record["x"] == "\xEF\xBF\xBD");
  CHECK(record.begin().key() == "time");
}

TEST_CASE("log: text format is key=value") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  Logger logger(file);
  LoggingConfig config;
  config.format = LogFormat::text;
  config.level = LogLevel::debug;
  logger.configure(config);
  logger.debug("access", {{"path", "/v2/pipeline"}, {"status", 200}});
  const auto lines = lines_of(file);
  std::fclose(file);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].substr(24) == " debug access path=/v2/pipeline status=200");
}

TEST_CASE("log: text format quotes keys and values that are not one printable token") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  Logger logger(file);
  LoggingConfig config;
  config.format = LogFormat::text;
  logger.configure(config);
  // A table name from a client's SQL that tries to forge a second line.
  logger.warn("audit: would deny", {{"reason", "on table \"a\nlevel=error msg=forged\""}, {"bad key", "x=y"}, {"empty", ""}});
  const auto lines = lines_of(file);
  std::fclose(file);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].substr(24) ==
        " warn audit: would deny \"bad key\"=\"x=y\" empty=\"\" reason=\"on table \\\"a\\nlevel=error msg=forged\\\"\"");
}

TEST_CASE("log: lines from many threads are whole and none is lost") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  Logger logger(file);
  constexpr int kThreads = 4;
  constexpr int kLines = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&logger, t] {
      for (int i = 0; i < kLines; ++i) logger.info("access", {{"thread", t}, {"i", i}, {"pad", std::string(300, 'x')}});
    });
  }
  for (auto& thread : threads) thread.join();
  const auto lines = lines_of(file);
  std::fclose(file);
  REQUIRE(lines.size() == kThreads * kLines);
  std::vector<int> next(kThreads, 0);
  for (const auto& line : lines) {
    const auto record = nlohmann::json::parse(line);
    const int t = record["thread"];
    CHECK(record["i"] == next[t]++);  // each thread's lines in its own order
  }
  CHECK(next == std::vector<int>(kThreads, kLines));
}
