#pragma once
// Invariants the Hrana codec fuzz targets share (JSON and protobuf): a failed
// check aborts, which libFuzzer reports as a crash with the input.
#include <cstdlib>
#include <optional>
#include <vector>

#include "proxy/hrana_json.hpp"

namespace hrana_fuzz {

using namespace gate::proxy::hrana;

inline void check(bool condition) {
  if (!condition) std::abort();
}

// What the gate authorizes: each statement names exactly one of sql / sql_id.
inline void check_refs(const std::vector<SqlRef>& refs) {
  for (const SqlRef& ref : refs) check(ref.sql.has_value() != ref.sql_id.has_value());
}

// The storage requests forwarded for a denied pipeline decode back (with the
// codec's own `decode`) to exactly the client's store_sql / close_sql requests,
// on the client's baton.
template <class Decode>
void check_storage_round_trip(const PipelineRequest& pipeline, const std::optional<StorageForward>& storage,
                              Decode decode) {
  if (!storage) return;
  auto forwarded = decode(storage->body);
  check(forwarded.request.has_value());
  check(forwarded.request->baton == pipeline.baton);
  check(forwarded.request->requests.size() == storage->indices.size());
  for (std::size_t k = 0; k < storage->indices.size(); ++k) {
    const StreamRequest& original = pipeline.requests.at(storage->indices[k]);
    const StreamRequest& sent = forwarded.request->requests[k];
    check(sent.kind == original.kind && sent.sql_id == original.sql_id && sent.stored_sql == original.stored_sql);
  }
}

}  // namespace hrana_fuzz
