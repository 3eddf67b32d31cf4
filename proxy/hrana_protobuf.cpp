#include "proxy/hrana_protobuf.hpp"

#include "proxy/hrana_denial.hpp"
#include "proxy/hrana_protobuf_shared.hpp"

namespace gate::proxy::hrana {

namespace {

using namespace protobuf_shared;

// StreamRequest oneof members (hrana.http).
enum StreamRequestField : std::uint32_t {
  kClose = 1,
  kExecute = 2,
  kBatch = 3,
  kSequence = 4,
  kDescribe = 5,
  kStoreSql = 6,
  kCloseSql = 7,
  kGetAutocommit = 8,
};

std::optional<std::string> baton_of(const Message& body) { return protobuf_shared::string_of(body.find(1), "baton"); }

StreamRequest stream_request(std::string_view bytes, const std::string& path) {
  Message outer;
  protobuf_shared::parse(outer, bytes, {{1, kBytes}, {2, kBytes}, {3, kBytes}, {4, kBytes}, {5, kBytes}, {6, kBytes},
                                        {7, kBytes}, {8, kBytes}},
                         path);
  const Field& member = protobuf_shared::oneof_member(outer, {1, 2, 3, 4, 5, 6, 7, 8}, path);
  StreamRequest request;
  Message inner;
  switch (member.number) {
    case kExecute: {
      const std::string p = path + ".execute";
      protobuf_shared::parse(inner, member.bytes, {{1, kBytes}}, p);
      const Field* stmt = inner.find(1);
      if (stmt == nullptr) throw Malformed{p + ".stmt: missing"};
      request.kind = RequestKind::execute;
      request.statements.push_back(protobuf_shared::stmt(stmt->bytes, p + ".stmt"));
      break;
    }
    case kBatch: {
      const std::string p = path + ".batch";
      protobuf_shared::parse(inner, member.bytes, {{1, kBytes}}, p);
      request.kind = RequestKind::batch;
      // An absent Batch is proto3's empty one: no steps, as upstream reads it.
      const Field* batch = inner.find(1);
      if (batch) request.statements = protobuf_shared::batch(batch->bytes, p + ".batch");
      break;
    }
    case kSequence:
    case kDescribe: {
      const std::string p = path + (member.number == kSequence ? ".sequence" : ".describe");
      protobuf_shared::parse(inner, member.bytes, {{1, kBytes}, {2, kVarint}}, p);
      request.kind = member.number == kSequence ? RequestKind::sequence : RequestKind::describe;
      request.statements.push_back(protobuf_shared::sql_ref(inner, 1, 2, p));
      break;
    }
    case kStoreSql: {
      const std::string p = path + ".store_sql";
      protobuf_shared::parse(inner, member.bytes, {{1, kVarint}, {2, kBytes}}, p);
      request.kind = RequestKind::store_sql;
      // Plain proto3 scalars: absent means 0 and "", as upstream reads them.
      request.sql_id = protobuf_shared::int32_of(inner.find(1), p + ".sql_id").value_or(0);
      request.stored_sql = protobuf_shared::string_of(inner.find(2), p + ".sql").value_or("");
      break;
    }
    case kCloseSql: {
      const std::string p = path + ".close_sql";
      protobuf_shared::parse(inner, member.bytes, {{1, kVarint}}, p);
      request.kind = RequestKind::close_sql;
      request.sql_id = protobuf_shared::int32_of(inner.find(1), p + ".sql_id").value_or(0);
      break;
    }
    case kClose:
      protobuf_shared::parse(inner, member.bytes, {}, path + ".close");
      request.kind = RequestKind::close;
      break;
    default:
      protobuf_shared::parse(inner, member.bytes, {}, path + ".get_autocommit");
      request.kind = RequestKind::get_autocommit;
      break;
  }
  return request;
}

}  // namespace

PipelineDecode decode_pipeline_protobuf(std::string_view body) {
  try {
    Message message;
    protobuf_shared::parse(message, body, {{1, kBytes}, {2, kBytes, true}}, "body");
    PipelineRequest pipeline;
    pipeline.baton = baton_of(message);
    const auto requests = message.all(2);
    pipeline.requests.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      pipeline.requests.push_back(stream_request(requests[i]->bytes, "requests[" + std::to_string(i) + "]"));
    }
    return {std::move(pipeline), std::nullopt};
  } catch (const Malformed& malformed) {
    return {std::nullopt, DecodeError{malformed.message}};
  }
}

CursorDecode decode_cursor_protobuf(std::string_view body) {
  try {
    Message message;
    protobuf_shared::parse(message, body, {{1, kBytes}, {2, kBytes}}, "body");
    CursorRequest cursor;
    cursor.baton = baton_of(message);
    if (const Field* batch = message.find(2)) cursor.steps = protobuf_shared::batch(batch->bytes, "batch");
    return {std::move(cursor), std::nullopt};
  } catch (const Malformed& malformed) {
    return {std::nullopt, DecodeError{malformed.message}};
  }
}

namespace {

// baton and base_url, the fields PipelineRespBody and CursorRespBody start with.
std::string stream_head(const std::optional<std::string>& baton, const std::optional<std::string>& base_url) {
  std::string out;
  if (baton) protobuf::put_bytes_field(out, 1, *baton);
  if (base_url) protobuf::put_bytes_field(out, 2, *base_url);
  return out;
}

// A StreamResult holding an error, as PipelineRespBody field 3.
void put_error_result(std::string& out, const Error& error) {
  std::string result;
  protobuf::put_bytes_field(result, 2, protobuf_shared::encode_error(error));
  protobuf::put_bytes_field(out, 3, result);
}

// An upstream PipelineRespBody / CursorRespBody with its base_url fields (2)
// replaced: every other field as upstream wrote it, then the gate's base_url last,
// so a reader that lets the last value win cannot pick up upstream's.
std::string without_base_url(const Message& body, const std::optional<std::string>& base_url) {
  std::string out;
  for (const Field& field : body.fields()) {
    if (field.number != 2) out.append(field.raw);
  }
  if (base_url) protobuf::put_bytes_field(out, 2, *base_url);
  return out;
}

}  // namespace

std::string pipeline_denial_body_protobuf(std::size_t request_count, std::size_t denied_index, const Error& denial,
                                          const std::optional<std::string>& baton,
                                          const std::optional<std::string>& base_url) {
  std::string out = stream_head(baton, base_url);
  for (std::size_t i = 0; i < request_count; ++i) put_error_result(out, denial_result_error(i, denied_index, denial));
  return out;
}

std::string cursor_denial_body_protobuf(const Error& denial, const std::optional<std::string>& baton,
                                        const std::optional<std::string>& base_url) {
  std::string out;
  protobuf::put_delimited(out, stream_head(baton, base_url));
  std::string entry;
  protobuf::put_bytes_field(entry, 5, protobuf_shared::encode_error(denial));
  protobuf::put_delimited(out, entry);
  return out;
}

std::optional<RewrittenResponse> rewrite_pipeline_response_protobuf(std::string_view upstream_body,
                                                                    const std::optional<std::string>& base_url) {
  Message body;
  if (body.parse(upstream_body, {{1, kBytes}, {2, kBytes}, {3, kBytes, true}})) return std::nullopt;
  RewrittenResponse out;
  if (const Field* baton = body.find(1)) out.view.baton = std::string(baton->bytes);
  for (const Field* field : body.all(3)) {
    Message result;
    if (result.parse(field->bytes, {{1, kBytes}, {2, kBytes}})) return std::nullopt;
    const auto member = result.present({1, 2});
    if (member.size() != 1) return std::nullopt;
    out.view.ok.push_back(member.front()->number == 1);
  }
  out.body = without_base_url(body, base_url);
  return out;
}

std::optional<StorageForward> storage_requests_of_protobuf(const PipelineRequest& pipeline) {
  StorageForward out;
  out.indices = storage_request_indices(pipeline);
  if (out.indices.empty()) return std::nullopt;
  if (pipeline.baton) protobuf::put_bytes_field(out.body, 1, *pipeline.baton);
  for (std::size_t i : out.indices) {
    const StreamRequest& request = pipeline.requests[i];
    std::string inner;
    protobuf::put_int32_field(inner, 1, *request.sql_id);
    if (request.kind == RequestKind::store_sql) protobuf::put_bytes_field(inner, 2, request.stored_sql);
    std::string stream_request;
    protobuf::put_bytes_field(stream_request, request.kind == RequestKind::store_sql ? kStoreSql : kCloseSql, inner);
    protobuf::put_bytes_field(out.body, 2, stream_request);
  }
  return out;
}

std::optional<DeniedPipelineAnswer> merge_denied_pipeline_protobuf(const RewrittenResponse& upstream,
                                                                   const StorageForward& forwarded,
                                                                   std::size_t request_count,
                                                                   std::size_t denied_index, const Error& denial) {
  Message body;
  if (body.parse(upstream.body, {{1, kBytes}, {2, kBytes}, {3, kBytes, true}})) return std::nullopt;
  const auto results = body.all(3);
  if (results.size() != forwarded.indices.size() || upstream.view.ok.size() != forwarded.indices.size()) {
    return std::nullopt;
  }
  DeniedPipelineAnswer out;
  out.ok.assign(request_count, false);
  for (const Field& field : body.fields()) {
    if (field.number != 3) out.body.append(field.raw);
  }
  const auto layout = denied_pipeline_layout(forwarded.indices, request_count);
  for (std::size_t i = 0; i < request_count; ++i) {
    if (layout[i]) {
      out.body.append(results[*layout[i]]->raw);
      out.ok[i] = upstream.view.ok[*layout[i]];
    } else {
      put_error_result(out.body, denial_result_error(i, denied_index, denial));
    }
  }
  return out;
}

CursorHead rewrite_cursor_head_protobuf(std::string_view received, const std::optional<std::string>& base_url) {
  CursorHead out;
  std::size_t pos = 0;
  protobuf::WireError error{};
  const auto length = protobuf::read_varint(received, pos, error);
  if (!length) {
    out.state = error == protobuf::WireError::truncated ? CursorHead::State::incomplete : CursorHead::State::malformed;
    return out;
  }
  if (*length > received.size() - pos) return out;  // incomplete
  Message head;
  if (head.parse(received.substr(pos, static_cast<std::size_t>(*length)), {{1, kBytes}, {2, kBytes}})) {
    out.state = CursorHead::State::malformed;
    return out;
  }
  if (const Field* baton = head.find(1)) out.baton = std::string(baton->bytes);
  protobuf::put_delimited(out.rewritten, without_base_url(head, base_url));
  out.consumed = pos + static_cast<std::size_t>(*length);
  out.state = CursorHead::State::complete;
  return out;
}

}  // namespace gate::proxy::hrana
