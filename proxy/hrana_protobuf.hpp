#pragma once
// The Hrana-over-HTTP protobuf codec (Hrana 3 spec, "Protobuf schema", package
// hrana.http; endpoints /v3-protobuf/pipeline and /v3-protobuf/cursor). Each
// function is the protobuf twin of its namesake in hrana_json.hpp and decodes to
// the same model, so authorization does not depend on the encoding. As there, the
// gate forwards the client's original bytes on allow and never re-encodes a
// request.
//
// Strictness beyond protobuf's own rules (see protobuf_wire.hpp): a singular field
// of a message the gate reads present twice, or two members of one oneof, is
// refused rather than resolved by "last one wins" / merging; strings the gate
// reads must be valid UTF-8; int32 values must not be truncated.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/hrana_json.hpp"

namespace gate::proxy::hrana {

PipelineDecode decode_pipeline_protobuf(std::string_view body);
CursorDecode decode_cursor_protobuf(std::string_view body);

std::string pipeline_denial_body_protobuf(std::size_t request_count, std::size_t denied_index, const Error& denial,
                                          const std::optional<std::string>& baton,
                                          const std::optional<std::string>& base_url);
// The length-delimited CursorRespBody, then one length-delimited `error` CursorEntry.
std::string cursor_denial_body_protobuf(const Error& denial, const std::optional<std::string>& baton,
                                        const std::optional<std::string>& base_url);

// Upstream's PipelineRespBody with base_url replaced (every base_url field
// dropped, `base_url` appended when set); baton and per-result ok read.
std::optional<RewrittenResponse> rewrite_pipeline_response_protobuf(std::string_view upstream_body,
                                                                    const std::optional<std::string>& base_url);

std::optional<StorageForward> storage_requests_of_protobuf(const PipelineRequest& pipeline);
std::optional<DeniedPipelineAnswer> merge_denied_pipeline_protobuf(const RewrittenResponse& upstream,
                                                                   const StorageForward& forwarded,
                                                                   std::size_t request_count,
                                                                   std::size_t denied_index, const Error& denial);

// The first item of a cursor response, CursorRespBody, once it has fully arrived.
struct CursorHead {
  enum class State { incomplete, malformed, complete };
  State state = State::incomplete;
  std::string rewritten;  // complete: the head to send instead, with its delimiter
  std::size_t consumed = 0;  // complete: bytes of `received` the head took
  std::optional<std::string> baton;
};
// `received` is the start of upstream's body so far.
CursorHead rewrite_cursor_head_protobuf(std::string_view received, const std::optional<std::string>& base_url);

}  // namespace gate::proxy::hrana
