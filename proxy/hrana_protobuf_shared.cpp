#include "proxy/hrana_protobuf_shared.hpp"

namespace gate::proxy::hrana::protobuf_shared {

void parse(Message& message, std::string_view bytes, std::span<const protobuf::KnownField> known,
           const std::string& path) {
  if (auto error = message.parse(bytes, known)) {
    const std::string field = error->number != 0 ? " field " + std::to_string(error->number) : "";
    throw Malformed{path + field + ": " + std::string(protobuf::to_string(error->error))};
  }
}

std::optional<std::string> string_of(const Field* field, const std::string& path) {
  if (field == nullptr) return std::nullopt;
  // The gate must read the same text as upstream, whose decoder refuses invalid
  // UTF-8; a lenient reader here could authorize a different statement.
  if (!protobuf::valid_utf8(field->bytes)) throw Malformed{path + ": invalid UTF-8"};
  return std::string(field->bytes);
}

std::optional<std::int32_t> int32_of(const Field* field, const std::string& path) {
  if (field == nullptr) return std::nullopt;
  auto value = protobuf::to_int32(field->value);
  if (!value) throw Malformed{path + ": expected a 32-bit integer"};
  return value;
}

const Field& oneof_member(const Message& message, std::initializer_list<std::uint32_t> members,
                          const std::string& path) {
  const auto present = message.present(members);
  if (present.empty()) throw Malformed{path + ": no member of the oneof is set"};
  if (present.size() > 1) throw Malformed{path + ": more than one member of the oneof is set"};
  return *present.front();
}

SqlRef sql_ref(const Message& message, std::uint32_t sql_field, std::uint32_t sql_id_field, const std::string& path) {
  SqlRef ref{string_of(message.find(sql_field), path + ".sql"), int32_of(message.find(sql_id_field), path + ".sql_id")};
  if (ref.sql.has_value() == ref.sql_id.has_value()) {
    throw Malformed{path + ": exactly one of sql and sql_id is required"};
  }
  return ref;
}

SqlRef stmt(std::string_view bytes, const std::string& path) {
  Message message;
  parse(message, bytes,
        {{1, kBytes}, {2, kVarint}, {3, kBytes, true}, {4, kBytes, true}, {5, kVarint}}, path);
  SqlRef ref = sql_ref(message, 1, 2, path);
  const auto named = message.all(4);
  for (std::size_t i = 0; i < named.size(); ++i) {
    const std::string arg_path = path + ".named_args[" + std::to_string(i) + "]";
    Message arg;
    parse(arg, named[i]->bytes, {{1, kBytes}, {2, kBytes}}, arg_path);
    string_of(arg.find(1), arg_path + ".name");
  }
  return ref;
}

namespace {

void batch_condition(std::string_view bytes, const std::string& path, int depth) {
  // Conditions nest; a bound keeps a hostile body from recursing without limit.
  if (depth > protobuf::kMaxNesting) throw Malformed{path + ": condition nested too deeply"};
  Message cond;
  parse(cond, bytes, {{1, kVarint}, {2, kVarint}, {3, kBytes}, {4, kBytes}, {5, kBytes}, {6, kBytes}}, path);
  const Field& member = oneof_member(cond, {1, 2, 3, 4, 5, 6}, path);
  switch (member.number) {
    case 1:
    case 2:
      if (!protobuf::to_uint32(member.value)) throw Malformed{path + ".step: expected a 32-bit unsigned integer"};
      break;
    case 3: batch_condition(member.bytes, path + ".not", depth + 1); break;
    case 4:
    case 5: {
      const std::string list_path = path + (member.number == 4 ? ".and" : ".or");
      Message list;
      parse(list, member.bytes, {{1, kBytes, true}}, list_path);
      const auto conds = list.all(1);
      for (std::size_t i = 0; i < conds.size(); ++i) {
        batch_condition(conds[i]->bytes, list_path + ".conds[" + std::to_string(i) + "]", depth + 1);
      }
      break;
    }
    default: break;  // is_autocommit: an empty message
  }
}

}  // namespace

std::vector<SqlRef> batch(std::string_view bytes, const std::string& path) {
  Message message;
  parse(message, bytes, {{1, kBytes, true}}, path);
  const auto steps = message.all(1);
  std::vector<SqlRef> refs;
  refs.reserve(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string step_path = path + ".steps[" + std::to_string(i) + "]";
    Message step;
    parse(step, steps[i]->bytes, {{1, kBytes}, {2, kBytes}}, step_path);
    if (const Field* cond = step.find(1)) batch_condition(cond->bytes, step_path + ".condition", 0);
    const Field* s = step.find(2);
    if (s == nullptr) throw Malformed{step_path + ".stmt: missing"};
    refs.push_back(stmt(s->bytes, step_path + ".stmt"));
  }
  return refs;
}

std::string encode_error(const Error& error) {
  std::string out;
  protobuf::put_bytes_field(out, 1, error.message);
  protobuf::put_bytes_field(out, 2, error.code);
  return out;
}

std::optional<Error> decode_error(std::string_view bytes) {
  Message message;
  if (message.parse(bytes, {{1, kBytes}, {2, kBytes}})) return std::nullopt;
  Error error;
  if (const Field* m = message.find(1)) error.message = std::string(m->bytes);
  if (const Field* c = message.find(2)) error.code = std::string(c->bytes);
  return error;
}

}  // namespace gate::proxy::hrana::protobuf_shared
