#include "proxy/log.hpp"

#include <algorithm>
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

namespace {

// Appends JSON text to one string. One serializer per thread, bound to that thread's
// line buffer: building a serializer per value (what dump() does) cost more than
// the tree this code replaced.
class JsonAppender {
 public:
  explicit JsonAppender(std::string& line)
      : serializer_(nlohmann::detail::output_adapter<char>(line), ' ', nlohmann::json::error_handler_t::replace) {}
  void value(const nlohmann::json& value) { serializer_.dump(value, false, false, 0); }
  void string(std::string_view text) { value(nlohmann::json(text)); }

 private:
  nlohmann::detail::serializer<nlohmann::json> serializer_;
};

// A text-format key or value: bare when it is one printable token, else a JSON
// string. Values carry client text (table names from SQL, SQLite's messages,
// close reasons): raw, a newline or " key=" in them would forge log lines.
void append_text_token(std::string& line, JsonAppender& json, std::string_view text) {
  const bool bare = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c > ' ' && c < 0x7f && c != '=' && c != '"';
  });
  if (bare) {
    line += text;
  } else {
    json.string(text);
  }
}

// The JSON line written straight into `line`: time, level, msg, then the fields in
// their (sorted) order. A field named time, level or msg takes that slot's value, as
// it did when the line was an ordered_json object filled in this order.
void json_line(std::string& line, JsonAppender& json, std::string_view level, std::string_view msg,
               const nlohmann::json& fields) {
  const bool has_fields = fields.is_object();
  auto header = [&](std::string_view key, std::string_view own) {
    line += line.empty() ? "{\"" : ",\"";
    line += key;
    line += "\":";
    const auto it = has_fields ? fields.find(std::string(key)) : fields.end();
    if (has_fields && it != fields.end()) {
      json.value(*it);
    } else {
      json.string(own);
    }
  };
  header("time", now_rfc3339());
  header("level", level);
  header("msg", msg);
  if (has_fields) {
    for (const auto& [key, value] : fields.items()) {
      if (key == "time" || key == "level" || key == "msg") continue;
      line += ',';
      json.string(key);
      line += ':';
      json.value(value);
    }
  }
  line += '}';
}

}  // namespace

void Logger::log(LogLevel level, std::string_view msg, const nlohmann::json& fields) {
  if (!enabled(level)) return;
  // One buffer per thread, reused: a line costs no allocation once it has grown.
  thread_local std::string line;
  thread_local JsonAppender json(line);
  line.clear();
  if (format_.load(std::memory_order_relaxed) == LogFormat::json) {
    json_line(line, json, to_string(level), msg, fields);
  } else {
    line += now_rfc3339();
    line += ' ';
    line += to_string(level);
    line += ' ';
    line += msg;
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        line += ' ';
        append_text_token(line, json, key);
        line += '=';
        if (value.is_string()) {
          append_text_token(line, json, value.get_ref<const std::string&>());
        } else {
          json.value(value);
        }
      }
    }
  }
  line += '\n';
  // One write per line (fflush hands the whole line to the kernel at once), so
  // lines from different workers never interleave and none waits in a buffer.
  std::lock_guard lock(write_mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace gate::proxy
