#include "proxy/hrana_json_reader.hpp"

#include <limits>
#include <set>

#include "jwks/strict_json.hpp"

namespace gate::proxy::hrana::json_reader {

namespace {

// The first member name repeated in one object, found with nlohmann's key
// callback: slower than the strict parser, so only used to word its refusal.
std::string repeated_key(std::string_view body) {
  std::vector<std::set<std::string>> keys_seen;
  std::optional<std::string> repeated;
  auto callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: keys_seen.emplace_back(); break;
      case json::parse_event_t::object_end: keys_seen.pop_back(); break;
      case json::parse_event_t::key:
        if (!repeated && !keys_seen.empty() && !keys_seen.back().insert(parsed.get<std::string>()).second) {
          repeated = parsed.get<std::string>();
        }
        break;
      default: break;
    }
    return true;
  };
  const json ignored = json::parse(body.begin(), body.end(), callback, /*allow_exceptions=*/false);
  return repeated.value_or("");
}

}  // namespace

std::optional<json> parse_strict(std::string_view body, std::string& error) {
  // The project's strict parser (jwks/strict_json.hpp): one pass, duplicates and
  // depth caught while building the tree, trailing bytes (even after a NUL) refused.
  jwks::StrictJsonParse parsed = jwks::parse_strict_json(body, kMaxDepth);
  if (parsed.value) return std::move(parsed.value);
  switch (*parsed.error) {
    case jwks::StrictJsonError::duplicate_member: {
      const std::string key = repeated_key(body);
      error = key.empty() ? "duplicate key" : "duplicate key \"" + key + "\"";
      break;
    }
    case jwks::StrictJsonError::too_deep:
      error = "body nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)";
      break;
    case jwks::StrictJsonError::not_json: error = "body is not valid JSON"; break;
  }
  return std::nullopt;
}

const json* member(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

bool absent_or_null(const json* value) { return value == nullptr || value->is_null(); }

void require_object(const json& value, const std::string& path) {
  if (!value.is_object()) throw Invalid{path + ": expected an object"};
}

std::int32_t as_int32(const json& value, const std::string& path) {
  if (value.is_number_unsigned() &&
      value.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
    return static_cast<std::int32_t>(value.get<std::uint64_t>());
  }
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    const auto v = value.get<std::int64_t>();
    if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max()) {
      return static_cast<std::int32_t>(v);
    }
  }
  throw Invalid{path + ": expected a 32-bit integer"};
}

std::optional<std::string> optional_string(const json& object, const char* name, const std::string& path) {
  const json* value = member(object, name);
  if (absent_or_null(value)) return std::nullopt;
  if (!value->is_string()) throw Invalid{path + "." + name + ": expected a string or null"};
  return value->get<std::string>();
}

std::optional<std::int32_t> optional_int32(const json& object, const char* name, const std::string& path) {
  const json* value = member(object, name);
  if (absent_or_null(value)) return std::nullopt;
  return as_int32(*value, path + "." + name);
}

SqlRef sql_ref(const json& object, const std::string& path) {
  SqlRef ref{optional_string(object, "sql", path), optional_int32(object, "sql_id", path)};
  if (ref.sql.has_value() == ref.sql_id.has_value()) {
    throw Invalid{path + ": exactly one of sql and sql_id is required"};
  }
  return ref;
}

SqlRef stmt(const json& value, const std::string& path) {
  require_object(value, path);
  SqlRef ref = sql_ref(value, path);
  if (const json* args = member(value, "args"); !absent_or_null(args) && !args->is_array()) {
    throw Invalid{path + ".args: expected an array"};
  }
  if (const json* named = member(value, "named_args"); !absent_or_null(named)) {
    if (!named->is_array()) throw Invalid{path + ".named_args: expected an array"};
    for (std::size_t i = 0; i < named->size(); ++i) {
      const json& arg = (*named)[i];
      const std::string arg_path = path + ".named_args[" + std::to_string(i) + "]";
      require_object(arg, arg_path);
      const json* name = member(arg, "name");
      if (name == nullptr || !name->is_string()) throw Invalid{arg_path + ".name: expected a string"};
    }
  }
  if (const json* want = member(value, "want_rows"); !absent_or_null(want) && !want->is_boolean()) {
    throw Invalid{path + ".want_rows: expected a boolean"};
  }
  return ref;
}

namespace {

void batch_condition(const json& value, const std::string& path, int depth) {
  // Conditions nest; a bound keeps a hostile body from recursing without limit.
  if (depth > 64) throw Invalid{path + ": condition nested too deeply"};
  require_object(value, path);
  const json* type = member(value, "type");
  if (type == nullptr || !type->is_string()) throw Invalid{path + ".type: expected a string"};
  const std::string t = type->get<std::string>();
  if (t == "ok" || t == "error") {
    const json* step = member(value, "step");
    if (step == nullptr || !step->is_number_unsigned()) throw Invalid{path + ".step: expected an unsigned integer"};
  } else if (t == "not") {
    const json* cond = member(value, "cond");
    if (cond == nullptr) throw Invalid{path + ".cond: missing"};
    batch_condition(*cond, path + ".cond", depth + 1);
  } else if (t == "and" || t == "or") {
    const json* conds = member(value, "conds");
    if (conds == nullptr || !conds->is_array()) throw Invalid{path + ".conds: expected an array"};
    for (std::size_t i = 0; i < conds->size(); ++i) {
      batch_condition((*conds)[i], path + ".conds[" + std::to_string(i) + "]", depth + 1);
    }
  } else if (t != "is_autocommit") {
    throw Invalid{path + ".type: unknown condition \"" + t + "\""};
  }
}

}  // namespace

std::vector<SqlRef> batch(const json& value, const std::string& path) {
  require_object(value, path);
  const json* steps = member(value, "steps");
  if (steps == nullptr || !steps->is_array()) throw Invalid{path + ".steps: expected an array"};
  std::vector<SqlRef> refs;
  refs.reserve(steps->size());
  for (std::size_t i = 0; i < steps->size(); ++i) {
    const json& step = (*steps)[i];
    const std::string step_path = path + ".steps[" + std::to_string(i) + "]";
    require_object(step, step_path);
    if (const json* cond = member(step, "condition"); !absent_or_null(cond)) {
      batch_condition(*cond, step_path + ".condition", 0);
    }
    const json* s = member(step, "stmt");
    if (s == nullptr) throw Invalid{step_path + ".stmt: missing"};
    refs.push_back(stmt(*s, step_path + ".stmt"));
  }
  return refs;
}

std::string required_string(const json& object, const char* name, const std::string& path) {
  const json* value = member(object, name);
  if (value == nullptr || !value->is_string()) throw Invalid{path + "." + name + ": expected a string"};
  return value->get<std::string>();
}

std::int32_t required_int32(const json& object, const char* name, const std::string& path) {
  const json* value = member(object, name);
  if (value == nullptr) throw Invalid{path + "." + name + ": missing"};
  return as_int32(*value, path + "." + name);
}

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace gate::proxy::hrana::json_reader
