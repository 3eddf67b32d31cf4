#pragma once
// What the answer to a denied pipeline is made of (SPEC §4), whatever its
// encoding: which error each request gets, which requests still go upstream, and
// where upstream's results land. The JSON and protobuf codecs only write it out.
#include <cstddef>
#include <optional>
#include <vector>

#include "proxy/hrana_json.hpp"

namespace gate::proxy::hrana {

// The error result of request `index` of a pipeline refused because request
// `denied_index` was: the denial itself, or "not executed: request N was denied".
Error denial_result_error(std::size_t index, std::size_t denied_index, const Error& denial);

// The positions of the store_sql / close_sql requests of a pipeline (see
// storage_requests_of in hrana_json.hpp), in order.
std::vector<std::size_t> storage_request_indices(const PipelineRequest& pipeline);

// For each of the client's `request_count` requests: the position of its result in
// upstream's answer to the `forwarded` requests, or nullopt where the answer is a
// denial error.
std::vector<std::optional<std::size_t>> denied_pipeline_layout(const std::vector<std::size_t>& forwarded,
                                                               std::size_t request_count);

}  // namespace gate::proxy::hrana
