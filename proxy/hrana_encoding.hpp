#pragma once
// The two encodings of Hrana 3 (spec, "Encoding"): JSON and protobuf. Chosen per
// HTTP request by its path (/v3-protobuf/...) and per WebSocket by the negotiated
// subprotocol (hrana3-protobuf); the codecs of both decode to the same model.
#include <string_view>

namespace gate::proxy::hrana {

enum class Encoding { json, protobuf };

constexpr std::string_view to_string(Encoding encoding) {
  return encoding == Encoding::json ? "json" : "protobuf";
}

}  // namespace gate::proxy::hrana
