#include "proxy/hrana_json.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "proxy/hrana_denial.hpp"
#include "proxy/hrana_json_response.hpp"
#include "proxy/hrana_json_reader.hpp"

namespace gate::proxy::hrana {

using nlohmann::json;

std::string_view to_string(RequestKind kind) {
  switch (kind) {
    case RequestKind::close: return "close";
    case RequestKind::execute: return "execute";
    case RequestKind::batch: return "batch";
    case RequestKind::sequence: return "sequence";
    case RequestKind::describe: return "describe";
    case RequestKind::store_sql: return "store_sql";
    case RequestKind::close_sql: return "close_sql";
    case RequestKind::get_autocommit: return "get_autocommit";
  }
  return "unknown";
}

namespace {

using namespace json_reader;

std::optional<std::string> baton_of(const json& body) {
  const json* baton = member(body, "baton");
  if (absent_or_null(baton)) return std::nullopt;
  if (!baton->is_string()) throw Invalid{"baton: expected a string or null"};
  return baton->get<std::string>();
}

StreamRequest stream_request(const json& value, const std::string& path) {
  require_object(value, path);
  const json* type = member(value, "type");
  if (type == nullptr || !type->is_string()) throw Invalid{path + ".type: expected a string"};
  const std::string t = type->get<std::string>();
  StreamRequest request;
  if (t == "execute") {
    request.kind = RequestKind::execute;
    const json* s = member(value, "stmt");
    if (s == nullptr) throw Invalid{path + ".stmt: missing"};
    request.statements.push_back(stmt(*s, path + ".stmt"));
  } else if (t == "batch") {
    request.kind = RequestKind::batch;
    const json* b = member(value, "batch");
    if (b == nullptr) throw Invalid{path + ".batch: missing"};
    request.statements = batch(*b, path + ".batch");
  } else if (t == "sequence" || t == "describe") {
    request.kind = t == "sequence" ? RequestKind::sequence : RequestKind::describe;
    request.statements.push_back(sql_ref(value, path));
  } else if (t == "store_sql") {
    request.kind = RequestKind::store_sql;
    request.sql_id = required_int32(value, "sql_id", path);
    request.stored_sql = required_string(value, "sql", path);
  } else if (t == "close_sql") {
    request.kind = RequestKind::close_sql;
    request.sql_id = required_int32(value, "sql_id", path);
  } else if (t == "close") {
    request.kind = RequestKind::close;
  } else if (t == "get_autocommit") {
    request.kind = RequestKind::get_autocommit;
  } else {
    throw Invalid{path + ".type: unknown request type \"" + t + "\""};
  }
  return request;
}

}  // namespace

PipelineDecode decode_pipeline(std::string_view body) {
  std::string parse_error;
  auto value = parse_strict(body, parse_error);
  if (!value) return {std::nullopt, DecodeError{parse_error}};
  try {
    require_object(*value, "body");
    PipelineRequest pipeline;
    pipeline.baton = baton_of(*value);
    const json* requests = member(*value, "requests");
    if (requests == nullptr || !requests->is_array()) throw Invalid{"requests: expected an array"};
    pipeline.requests.reserve(requests->size());
    for (std::size_t i = 0; i < requests->size(); ++i) {
      pipeline.requests.push_back(stream_request((*requests)[i], "requests[" + std::to_string(i) + "]"));
    }
    return {std::move(pipeline), std::nullopt};
  } catch (const Invalid& invalid) {
    return {std::nullopt, DecodeError{invalid.message}};
  }
}

CursorDecode decode_cursor(std::string_view body) {
  std::string parse_error;
  auto value = parse_strict(body, parse_error);
  if (!value) return {std::nullopt, DecodeError{parse_error}};
  try {
    require_object(*value, "body");
    CursorRequest cursor;
    cursor.baton = baton_of(*value);
    const json* b = member(*value, "batch");
    if (b == nullptr) throw Invalid{"batch: missing"};
    cursor.steps = batch(*b, "batch");
    return {std::move(cursor), std::nullopt};
  } catch (const Invalid& invalid) {
    return {std::nullopt, DecodeError{invalid.message}};
  }
}

namespace {

void resolve_refs(const std::vector<SqlRef>& refs, const StoredSql& stored, RequestStatements& out) {
  for (const SqlRef& ref : refs) {
    if (ref.sql) {
      out.sqls.push_back(*ref.sql);
      continue;
    }
    auto it = stored.find(*ref.sql_id);
    if (it == stored.end()) {
      out.unresolved = Error{"SQL text " + std::to_string(*ref.sql_id) + " is not stored on this stream",
                             "SQL_NOT_FOUND"};
      return;
    }
    out.sqls.push_back(it->second);
  }
}

}  // namespace

std::vector<RequestStatements> resolve(const PipelineRequest& pipeline, const StoredSql& stored) {
  // The stream's texts are copied only when this pipeline changes them.
  const bool stores = std::any_of(pipeline.requests.begin(), pipeline.requests.end(), [](const StreamRequest& r) {
    return r.kind == RequestKind::store_sql || r.kind == RequestKind::close_sql;
  });
  std::optional<StoredSql> changed;
  if (stores) changed = stored;
  std::vector<RequestStatements> out;
  out.reserve(pipeline.requests.size());
  for (std::size_t i = 0; i < pipeline.requests.size(); ++i) {
    const StreamRequest& request = pipeline.requests[i];
    RequestStatements statements;
    statements.index = i;
    statements.kind = request.kind;
    switch (request.kind) {
      case RequestKind::store_sql: (*changed)[*request.sql_id] = request.stored_sql; break;
      case RequestKind::close_sql: changed->erase(*request.sql_id); break;
      default: resolve_refs(request.statements, changed ? *changed : stored, statements); break;
    }
    out.push_back(std::move(statements));
  }
  return out;
}

RequestStatements resolve(RequestKind kind, const std::vector<SqlRef>& statements, const StoredSql& stored) {
  RequestStatements out;
  out.kind = kind;
  resolve_refs(statements, stored, out);
  return out;
}

std::vector<RequestStatements> resolve(const CursorRequest& cursor, const StoredSql& stored) {
  std::vector<RequestStatements> out;
  out.reserve(cursor.steps.size());
  for (std::size_t i = 0; i < cursor.steps.size(); ++i) {
    RequestStatements statements;
    statements.index = i;
    statements.kind = RequestKind::execute;
    resolve_refs({cursor.steps[i]}, stored, statements);
    out.push_back(std::move(statements));
  }
  return out;
}

StoredSql apply_stored_sql(const PipelineRequest& pipeline, const std::vector<bool>& ok, StoredSql stored) {
  for (std::size_t i = 0; i < pipeline.requests.size() && i < ok.size(); ++i) {
    if (!ok[i]) continue;
    const StreamRequest& request = pipeline.requests[i];
    if (request.kind == RequestKind::store_sql) stored[*request.sql_id] = request.stored_sql;
    if (request.kind == RequestKind::close_sql) stored.erase(*request.sql_id);
  }
  return stored;
}

namespace {

json error_json(const Error& error) { return json{{"message", error.message}, {"code", error.code}}; }

json nullable(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }


json denial_result(std::size_t index, std::size_t denied_index, const Error& denial) {
  return json{{"type", "error"}, {"error", error_json(denial_result_error(index, denied_index, denial))}};
}

}  // namespace

std::string pipeline_denial_body(std::size_t request_count, std::size_t denied_index, const Error& denial,
                                 const std::optional<std::string>& baton,
                                 const std::optional<std::string>& base_url) {
  json results = json::array();
  for (std::size_t i = 0; i < request_count; ++i) results.push_back(denial_result(i, denied_index, denial));
  return dump(json{{"baton", nullable(baton)}, {"base_url", nullable(base_url)}, {"results", std::move(results)}});
}

std::optional<StorageForward> storage_requests_of(const PipelineRequest& pipeline) {
  StorageForward out;
  out.indices = storage_request_indices(pipeline);
  if (out.indices.empty()) return std::nullopt;
  json requests = json::array();
  for (std::size_t i : out.indices) {
    const StreamRequest& request = pipeline.requests[i];
    if (request.kind == RequestKind::store_sql) {
      requests.push_back(json{{"type", "store_sql"}, {"sql_id", *request.sql_id}, {"sql", request.stored_sql}});
    } else {
      requests.push_back(json{{"type", "close_sql"}, {"sql_id", *request.sql_id}});
    }
  }
  out.body = dump(json{{"baton", nullable(pipeline.baton)}, {"requests", std::move(requests)}});
  return out;
}

std::optional<DeniedPipelineAnswer> merge_denied_pipeline(const RewrittenResponse& upstream, const StorageForward& forwarded,
                                                          std::size_t request_count, std::size_t denied_index,
                                                          const Error& denial) {
  json body = json::parse(upstream.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return std::nullopt;
  auto upstream_results = body.find("results");
  if (upstream_results == body.end() || !upstream_results->is_array() ||
      upstream_results->size() != forwarded.indices.size() || upstream.view.ok.size() != forwarded.indices.size()) {
    return std::nullopt;
  }
  DeniedPipelineAnswer out;
  out.ok.assign(request_count, false);
  json results = json::array();
  const auto layout = denied_pipeline_layout(forwarded.indices, request_count);
  for (std::size_t i = 0; i < request_count; ++i) {
    if (layout[i]) {
      results.push_back(std::move((*upstream_results)[*layout[i]]));
      out.ok[i] = upstream.view.ok[*layout[i]];
    } else {
      results.push_back(denial_result(i, denied_index, denial));
    }
  }
  body["results"] = std::move(results);
  out.body = dump(body);
  return out;
}

std::string cursor_denial_body(const Error& denial, const std::optional<std::string>& baton,
                               const std::optional<std::string>& base_url) {
  json head{{"baton", nullable(baton)}, {"base_url", nullable(base_url)}};
  json entry{{"type", "error"}, {"error", error_json(denial)}};
  return head.dump() + "\n" + entry.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::optional<RewrittenResponse> rewrite_pipeline_response(std::string_view upstream_body,
                                                           const std::optional<std::string>& base_url) {
  auto scan = scan_response(upstream_body);
  if (!scan) return std::nullopt;
  RewrittenResponse out;
  out.body = splice_base_url(upstream_body, *scan, base_url);
  out.view.baton = std::move(scan->baton);
  out.view.ok = std::move(scan->ok);
  return out;
}

std::optional<RewrittenCursorHead> rewrite_cursor_head(std::string_view first_line,
                                                       const std::optional<std::string>& base_url) {
  auto scan = scan_response(first_line);
  if (!scan) return std::nullopt;
  RewrittenCursorHead out;
  out.line = splice_base_url(first_line, *scan, base_url);
  out.baton = std::move(scan->baton);
  return out;
}

}  // namespace gate::proxy::hrana
