#pragma once
// The gate's log: one JSON object per line (time, level, msg, then fields), or a
// readable `key=value` line when logging.format is text. Safe to call from every
// worker thread; lines never interleave.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "proxy/config.hpp"

namespace gate::proxy {

class Logger {
 public:
  explicit Logger(std::FILE* out = stdout) : out_(out) {}

  // Applied at start and on SIGHUP.
  void configure(const LoggingConfig& config);

  bool enabled(LogLevel level) const { return level >= level_.load(std::memory_order_relaxed); }
  bool access_log() const { return access_log_.load(std::memory_order_relaxed); }

  // `fields` must be a JSON object (or null). Never put tokens or SQL arguments in it.
  void log(LogLevel level, std::string_view msg, const nlohmann::json& fields = nullptr);
  void debug(std::string_view msg, const nlohmann::json& fields = nullptr) { log(LogLevel::debug, msg, fields); }
  void info(std::string_view msg, const nlohmann::json& fields = nullptr) { log(LogLevel::info, msg, fields); }
  void warn(std::string_view msg, const nlohmann::json& fields = nullptr) { log(LogLevel::warn, msg, fields); }
  void error(std::string_view msg, const nlohmann::json& fields = nullptr) { log(LogLevel::error, msg, fields); }

 private:
  std::FILE* out_;
  std::mutex write_mutex_;
  std::atomic<LogLevel> level_{LogLevel::info};
  std::atomic<LogFormat> format_{LogFormat::json};
  std::atomic<bool> access_log_{true};
};

std::string_view to_string(LogLevel level);

}  // namespace gate::proxy
