#include "proxy/hrana_ws_json.hpp"

#include <array>
#include <cstdint>
#include <set>

#include "proxy/hrana_json_reader.hpp"

namespace gate::proxy::hrana::ws {

namespace {

using namespace json_reader;

constexpr std::array kRequestTypes{
    RequestType::open_stream,  RequestType::close_stream, RequestType::execute,   RequestType::batch,
    RequestType::open_cursor,  RequestType::close_cursor, RequestType::fetch_cursor, RequestType::sequence,
    RequestType::describe,     RequestType::store_sql,    RequestType::close_sql,  RequestType::get_autocommit,
};

std::optional<RequestType> request_type_from(std::string_view name) {
  for (RequestType type : kRequestTypes) {
    if (to_string(type) == name) return type;
  }
  return std::nullopt;
}

std::uint32_t as_uint32(const json& value, const std::string& path) {
  if (!value.is_number_unsigned() || value.get<std::uint64_t>() > 0xffffffffULL) {
    throw Invalid{path + ": expected a 32-bit unsigned integer"};
  }
  return static_cast<std::uint32_t>(value.get<std::uint64_t>());
}

Request request(const json& value, const std::string& path) {
  require_object(value, path);
  const std::string name = required_string(value, "type", path);
  const auto type = request_type_from(name);
  if (!type) throw Invalid{path + ".type: unknown request type \"" + name + "\""};
  Request out;
  out.type = *type;
  switch (*type) {
    case RequestType::open_stream:
    case RequestType::close_stream:
    case RequestType::get_autocommit: out.stream_id = required_int32(value, "stream_id", path); break;
    case RequestType::execute: {
      out.stream_id = required_int32(value, "stream_id", path);
      const json* s = member(value, "stmt");
      if (s == nullptr) throw Invalid{path + ".stmt: missing"};
      out.statements.push_back(stmt(*s, path + ".stmt"));
      break;
    }
    case RequestType::batch:
    case RequestType::open_cursor: {
      out.stream_id = required_int32(value, "stream_id", path);
      if (*type == RequestType::open_cursor) out.cursor_id = required_int32(value, "cursor_id", path);
      const json* b = member(value, "batch");
      if (b == nullptr) throw Invalid{path + ".batch: missing"};
      out.statements = batch(*b, path + ".batch");
      break;
    }
    case RequestType::close_cursor: out.cursor_id = required_int32(value, "cursor_id", path); break;
    case RequestType::fetch_cursor: {
      out.cursor_id = required_int32(value, "cursor_id", path);
      const json* max_count = member(value, "max_count");
      if (max_count == nullptr) throw Invalid{path + ".max_count: missing"};
      as_uint32(*max_count, path + ".max_count");
      break;
    }
    case RequestType::sequence:
    case RequestType::describe:
      out.stream_id = required_int32(value, "stream_id", path);
      out.statements.push_back(sql_ref(value, path));
      break;
    case RequestType::store_sql:
      out.sql_id = required_int32(value, "sql_id", path);
      out.stored_sql = required_string(value, "sql", path);
      break;
    case RequestType::close_sql: out.sql_id = required_int32(value, "sql_id", path); break;
  }
  return out;
}

// What the gate needs of an upstream ServerMsg, read without building a document:
// responses carry whole result sets and are relayed as received, so only the
// top-level `type` / `request_id`, `response.type` and `error` are kept.
class ServerMessageReader final : public json::json_sax_t {
 public:
  bool null() override { return scalar(); }
  bool boolean(bool) override { return scalar(); }
  bool number_integer(number_integer_t value) override {
    if (at_top("request_id")) set_request_id(value);
    return scalar();
  }
  bool number_unsigned(number_unsigned_t value) override {
    if (at_top("request_id")) {
      set_request_id(value <= 0x7fffffffULL ? static_cast<std::int64_t>(value) : std::int64_t{1} << 40);
    }
    return scalar();
  }
  bool number_float(number_float_t, const string_t&) override {
    if (at_top("request_id")) bad_ = true;
    return scalar();
  }
  bool string(string_t& value) override {
    if (at_top("type")) {
      if (type_) bad_ = true;
      type_ = value;
    } else if (depth_ == 2 && parent_ == "response" && key_ == "type") {
      if (response_type_) bad_ = true;
      response_type_ = value;
    } else if (depth_ == 2 && parent_ == "error" && key_ == "message") {
      error_message_ = value;
    } else if (depth_ == 2 && parent_ == "error" && key_ == "code") {
      error_code_ = value;
    }
    return scalar();
  }
  bool binary(binary_t&) override { return scalar(); }
  bool start_object(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_array() override { return close(); }
  bool key(string_t& value) override {
    if (depth_ <= 2) key_ = value;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

  std::optional<ServerMessage> result() const {
    if (bad_ || !top_is_object_) return std::nullopt;
    ServerMessage out;
    if (type_ == "hello_ok") {
      out.type = ServerMessage::Type::hello_ok;
      return out;
    }
    if (type_ == "hello_error" || type_ == "response_error") {
      if (!error_message_) return std::nullopt;
      out.error = Error{*error_message_, error_code_.value_or("")};
    }
    if (type_ == "hello_error") {
      out.type = ServerMessage::Type::hello_error;
      return out;
    }
    if (type_ != "response_ok" && type_ != "response_error") return std::nullopt;
    if (!request_id_) return std::nullopt;
    out.request_id = *request_id_;
    if (type_ == "response_error") {
      out.type = ServerMessage::Type::response_error;
      return out;
    }
    out.type = ServerMessage::Type::response_ok;
    if (!response_type_) return std::nullopt;
    out.response_type = request_type_from(*response_type_);
    if (!out.response_type) return std::nullopt;
    return out;
  }

 private:
  bool at_top(std::string_view key) const { return depth_ == 1 && key_ == key; }

  void set_request_id(std::int64_t value) {
    if (request_id_ || value < INT32_MIN || value > INT32_MAX) {
      bad_ = true;
      return;
    }
    request_id_ = static_cast<std::int32_t>(value);
  }

  bool scalar() {
    if (depth_ == 0) bad_ = true;  // a bare scalar is no message
    return true;
  }

  bool open(bool object) {
    if (depth_ == 0) {
      top_is_object_ = object;
      if (!object) bad_ = true;
    } else if (depth_ == 1) {
      parent_ = object ? key_ : std::string();
      // Each of the members the gate reads may appear once (like the client side).
      if (object && (key_ == "response" || key_ == "error")) {
        if (seen_objects_.count(key_) != 0) bad_ = true;
        seen_objects_.insert(key_);
      }
    }
    ++depth_;
    key_.clear();
    return true;
  }

  bool close() {
    --depth_;
    if (depth_ == 1) parent_.clear();
    key_.clear();
    return true;
  }

  int depth_ = 0;
  std::string key_;
  std::string parent_;
  std::set<std::string> seen_objects_;
  bool top_is_object_ = false;
  bool bad_ = false;
  std::optional<std::string> type_;
  std::optional<std::int32_t> request_id_;
  std::optional<std::string> response_type_;
  std::optional<std::string> error_message_;
  std::optional<std::string> error_code_;
};

json error_json(const Error& error) { return json{{"message", error.message}, {"code", error.code}}; }

}  // namespace

ClientDecode decode_client_message_json(std::string_view payload) {
  std::string parse_error;
  auto value = parse_strict(payload, parse_error);
  if (!value) return {std::nullopt, DecodeError{parse_error == "body is not valid JSON" ? "message is not valid JSON"
                                                                                       : parse_error}};
  try {
    require_object(*value, "message");
    const std::string type = required_string(*value, "type", "message");
    ClientMessage message;
    if (type == "hello") {
      message.type = ClientMessage::Type::hello;
      message.jwt = optional_string(*value, "jwt", "message");
    } else if (type == "request") {
      message.type = ClientMessage::Type::request;
      message.request_id = required_int32(*value, "request_id", "message");
      const json* r = member(*value, "request");
      if (r == nullptr) throw Invalid{"message.request: missing"};
      message.request = request(*r, "message.request");
    } else {
      throw Invalid{"message.type: unknown message type \"" + type + "\""};
    }
    return {std::move(message), std::nullopt};
  } catch (const Invalid& invalid) {
    return {std::nullopt, DecodeError{invalid.message}};
  }
}

std::optional<ServerMessage> inspect_server_message_json(std::string_view payload) {
  ServerMessageReader reader;
  if (!json::sax_parse(payload.begin(), payload.end(), &reader)) return std::nullopt;
  return reader.result();
}

std::string encode_hello_json(const std::optional<std::string>& jwt) {
  return dump(json{{"type", "hello"}, {"jwt", jwt ? json(*jwt) : json(nullptr)}});
}

std::string encode_hello_ok_json() { return R"({"type":"hello_ok"})"; }

std::string encode_hello_error_json(const Error& error) {
  return dump(json{{"type", "hello_error"}, {"error", error_json(error)}});
}

std::string encode_response_error_json(std::int32_t request_id, const Error& error) {
  return dump(json{{"type", "response_error"}, {"request_id", request_id}, {"error", error_json(error)}});
}

std::string encode_empty_response_ok_json(std::int32_t request_id, RequestType type) {
  return dump(json{{"type", "response_ok"},
                   {"request_id", request_id},
                   {"response", json{{"type", std::string(to_string(type))}}}});
}

}  // namespace gate::proxy::hrana::ws
