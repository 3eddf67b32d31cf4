#include "proxy/hrana_denial.hpp"

#include <string>

namespace gate::proxy::hrana {

Error denial_result_error(std::size_t index, std::size_t denied_index, const Error& denial) {
  if (index == denied_index) return denial;
  return Error{"not executed: request " + std::to_string(denied_index) + " was denied", denial.code};
}

std::vector<std::size_t> storage_request_indices(const PipelineRequest& pipeline) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < pipeline.requests.size(); ++i) {
    const StreamRequest& request = pipeline.requests[i];
    // The decoders require sql_id; never forward a request they did not check.
    if (!request.sql_id) continue;
    if (request.kind == RequestKind::store_sql || request.kind == RequestKind::close_sql) out.push_back(i);
  }
  return out;
}

std::vector<std::optional<std::size_t>> denied_pipeline_layout(const std::vector<std::size_t>& forwarded,
                                                               std::size_t request_count) {
  std::vector<std::optional<std::size_t>> out(request_count);
  for (std::size_t k = 0; k < forwarded.size(); ++k) {
    if (forwarded[k] < request_count) out[forwarded[k]] = k;
  }
  return out;
}

}  // namespace gate::proxy::hrana
