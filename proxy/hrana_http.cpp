#include "proxy/hrana_http.hpp"

namespace gate::proxy::hrana {

namespace {
bool json(Encoding encoding) { return encoding == Encoding::json; }
}  // namespace

std::string_view content_type(Encoding encoding) {
  return json(encoding) ? "application/json" : "application/x-protobuf";
}

std::string_view cursor_content_type(Encoding encoding) {
  // sqld answers JSON cursors as text/plain (newline-delimited JSON lines).
  return json(encoding) ? "text/plain" : "application/x-protobuf";
}

PipelineDecode decode_pipeline(Encoding encoding, std::string_view body) {
  return json(encoding) ? decode_pipeline(body) : decode_pipeline_protobuf(body);
}

CursorDecode decode_cursor(Encoding encoding, std::string_view body) {
  return json(encoding) ? decode_cursor(body) : decode_cursor_protobuf(body);
}

std::string pipeline_denial_body(Encoding encoding, std::size_t request_count, std::size_t denied_index,
                                 const Error& denial, const std::optional<std::string>& baton,
                                 const std::optional<std::string>& base_url) {
  return json(encoding) ? pipeline_denial_body(request_count, denied_index, denial, baton, base_url)
                        : pipeline_denial_body_protobuf(request_count, denied_index, denial, baton, base_url);
}

std::string cursor_denial_body(Encoding encoding, const Error& denial, const std::optional<std::string>& baton,
                               const std::optional<std::string>& base_url) {
  return json(encoding) ? cursor_denial_body(denial, baton, base_url)
                        : cursor_denial_body_protobuf(denial, baton, base_url);
}

std::optional<RewrittenResponse> rewrite_pipeline_response(Encoding encoding, std::string_view upstream_body,
                                                           const std::optional<std::string>& base_url) {
  return json(encoding) ? rewrite_pipeline_response(upstream_body, base_url)
                        : rewrite_pipeline_response_protobuf(upstream_body, base_url);
}

std::optional<StorageForward> storage_requests_of(Encoding encoding, const PipelineRequest& pipeline) {
  return json(encoding) ? storage_requests_of(pipeline) : storage_requests_of_protobuf(pipeline);
}

std::optional<DeniedPipelineAnswer> merge_denied_pipeline(Encoding encoding, const RewrittenResponse& upstream,
                                                          const StorageForward& forwarded, std::size_t request_count,
                                                          std::size_t denied_index, const Error& denial) {
  return json(encoding) ? merge_denied_pipeline(upstream, forwarded, request_count, denied_index, denial)
                        : merge_denied_pipeline_protobuf(upstream, forwarded, request_count, denied_index, denial);
}

CursorHead rewrite_cursor_head(Encoding encoding, std::string_view received,
                               const std::optional<std::string>& base_url) {
  if (!json(encoding)) return rewrite_cursor_head_protobuf(received, base_url);
  CursorHead out;
  const auto newline = received.find('\n');
  if (newline == std::string_view::npos) return out;  // incomplete
  auto head = rewrite_cursor_head(received.substr(0, newline), base_url);
  if (!head) {
    out.state = CursorHead::State::malformed;
    return out;
  }
  out.state = CursorHead::State::complete;
  out.rewritten = head->line + "\n";
  out.consumed = newline + 1;
  out.baton = std::move(head->baton);
  return out;
}

}  // namespace gate::proxy::hrana
