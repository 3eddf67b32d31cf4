#pragma once
// Hrana over HTTP in either encoding: the gate's request path calls these with
// the encoding its route implies (/v3/... JSON, /v3-protobuf/... protobuf) and
// stays encoding-blind otherwise. Each dispatches to hrana_json.hpp or
// hrana_protobuf.hpp, whose functions document the behaviour.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/hrana_encoding.hpp"
#include "proxy/hrana_json.hpp"
#include "proxy/hrana_protobuf.hpp"

namespace gate::proxy::hrana {

// The Content-Type of request and response bodies.
std::string_view content_type(Encoding encoding);
// The Content-Type of a cursor response the gate writes itself.
std::string_view cursor_content_type(Encoding encoding);

PipelineDecode decode_pipeline(Encoding encoding, std::string_view body);
CursorDecode decode_cursor(Encoding encoding, std::string_view body);
std::string pipeline_denial_body(Encoding encoding, std::size_t request_count, std::size_t denied_index,
                                 const Error& denial, const std::optional<std::string>& baton,
                                 const std::optional<std::string>& base_url);
std::string cursor_denial_body(Encoding encoding, const Error& denial, const std::optional<std::string>& baton,
                               const std::optional<std::string>& base_url);
std::optional<RewrittenResponse> rewrite_pipeline_response(Encoding encoding, std::string_view upstream_body,
                                                           const std::optional<std::string>& base_url);
std::optional<StorageForward> storage_requests_of(Encoding encoding, const PipelineRequest& pipeline);
std::optional<DeniedPipelineAnswer> merge_denied_pipeline(Encoding encoding, const RewrittenResponse& upstream,
                                                          const StorageForward& forwarded, std::size_t request_count,
                                                          std::size_t denied_index, const Error& denial);
// The head of a cursor response (JSON: its first line; protobuf: its first
// length-delimited item), rewritten once it has fully arrived in `received`.
CursorHead rewrite_cursor_head(Encoding encoding, std::string_view received,
                               const std::optional<std::string>& base_url);

}  // namespace gate::proxy::hrana
