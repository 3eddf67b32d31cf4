#pragma once
// Reading an upstream Hrana JSON response object (PipelineRespBody, or the
// CursorRespBody head line) without building a tree: one SAX pass validates it and
// reads what the gate acts on, and base_url is replaced by splicing the upstream
// bytes. The gate does this on every forwarded request; a parse into a tree plus a
// re-serialisation was most of its CPU per warm request (bench/README.md).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gate::proxy::hrana {

struct ResponseScan {
  std::optional<std::string> baton;  // the top-level baton when it is a string
  std::vector<bool> ok;              // per element of a top-level `results` array: type == "ok"
  // The top-level base_url member's position among the object's members.
  std::optional<std::size_t> base_url_member;
  std::size_t member_count = 0;
};

// nullopt when `body` is not a JSON object (same syntax rules as nlohmann::json::parse),
// when a top-level key appears twice (upstream must not smuggle a second base_url or
// baton past the one the gate reads), or when a result's `type` is not a string.
std::optional<ResponseScan> scan_response(std::string_view body);

// `body` (which scan_response accepted) with its top-level base_url set to
// `base_url` (null when nullopt): the member's value replaced in place, or the
// member added first when upstream sent none. Everything else is upstream's bytes.
std::string splice_base_url(std::string_view body, const ResponseScan& scan, const std::optional<std::string>& base_url);

}  // namespace gate::proxy::hrana
