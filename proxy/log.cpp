#include "proxy/log.hpp"

#include <chrono>
#include <ctime>

namespace gate::proxy {

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

void Logger::configure(const LoggingConfig& config) {
  level_.store(config.level, std::memory_order_relaxed);
  format_.store(config.format, std::memory_order_relaxed);
  access_log_.store(config.access_log, std::memory_order_relaxed);
}

namespace {

// RFC 3339 UTC with milliseconds: log shippers parse it without configuration.
std::string now_rfc3339() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t seconds = system_clock::to_time_t(now);
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(millis));
  return buf;
}

}  // namespace

void Logger::log(LogLevel level, std::string_view msg, const nlohmann::json& fields) {
  if (!enabled(level)) return;
  std::string line;
  if (format_.load(std::memory_order_relaxed) == LogFormat::json) {
    nlohmann::ordered_json record;
    record["time"] = now_rfc3339();
    record["level"] = to_string(level);
    record["msg"] = msg;
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) record[key] = value;
    }
    line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = now_rfc3339() + " " + std::string(to_string(level)) + " " + std::string(msg);
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        line += " " + key + "=" +
                (value.is_string() ? value.get<std::string>()
                                   : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
    }
  }
  line += '\n';
  std::lock_guard lock(write_mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace gate::proxy
