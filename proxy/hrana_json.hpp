#pragma once
// The Hrana-over-HTTP JSON codec (Hrana 3 spec, "Hrana over HTTP"): decodes
// pipeline and cursor request bodies into what must be authorized, and builds the
// bodies the gate answers itself (denials). The gate forwards the client's original
// bytes on allow, so decoding only extracts; it never re-encodes a request.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gate::proxy::hrana {

enum class RequestKind { close, execute, batch, sequence, describe, store_sql, close_sql, get_autocommit };

std::string_view to_string(RequestKind kind);

// A statement as written in the request: its text or the id of a text stored on
// the stream with store_sql (exactly one of the two).
struct SqlRef {
  std::optional<std::string> sql;
  std::optional<std::int32_t> sql_id;
};

struct StreamRequest {
  RequestKind kind = RequestKind::close;
  // execute: 1; batch: one per step; sequence, describe: 1; others: none.
  std::vector<SqlRef> statements;
  std::optional<std::int32_t> sql_id;  // store_sql, close_sql
  std::string stored_sql;              // store_sql
};

struct PipelineRequest {
  std::optional<std::string> baton;
  std::vector<StreamRequest> requests;
};

struct CursorRequest {
  std::optional<std::string> baton;
  std::vector<SqlRef> steps;
};

// Why a body is not valid Hrana (answered 400 PROTO_ERROR).
struct DecodeError {
  std::string message;  // e.g. "requests[2].stmt: exactly one of sql and sql_id is required"
};

struct PipelineDecode {
  std::optional<PipelineRequest> request;
  std::optional<DecodeError> error;
};
struct CursorDecode {
  std::optional<CursorRequest> request;
  std::optional<DecodeError> error;
};

PipelineDecode decode_pipeline(std::string_view body);
CursorDecode decode_cursor(std::string_view body);

// SQL texts stored on one stream, by sql_id.
using StoredSql = std::map<std::int32_t, std::string>;

// A Hrana Error structure: {"message", "code"}.
struct Error {
  std::string message;
  std::string code;
};

// What one request asks the database to run, with sql_id references resolved.
struct RequestStatements {
  std::size_t index = 0;  // position in the pipeline (cursor: step index)
  RequestKind kind = RequestKind::execute;
  std::vector<std::string> sqls;
  // Set when an sql_id names no stored text: the request cannot be authorized.
  std::optional<Error> unresolved;
};

// Resolves a pipeline against the stream's stored texts, applying store_sql and
// close_sql in request order (a text stored earlier in the same pipeline counts).
// Requests that run no SQL (close, store_sql, close_sql, get_autocommit) are listed
// with no sqls so indices line up with the pipeline.
std::vector<RequestStatements> resolve(const PipelineRequest& pipeline, const StoredSql& stored);
// One request that runs `statements` (index 0), against `stored` as it is.
RequestStatements resolve(RequestKind kind, const std::vector<SqlRef>& statements, const StoredSql& stored);
// A cursor batch: one entry per step.
std::vector<RequestStatements> resolve(const CursorRequest& cursor, const StoredSql& stored);

// The stored texts after a forwarded pipeline: store_sql/close_sql applied for the
// requests whose result was ok. `ok` has one flag per request.
StoredSql apply_stored_sql(const PipelineRequest& pipeline, const std::vector<bool>& ok, StoredSql stored);

// The whole pipeline refused because request `denied_index` was (SPEC §4): one error
// result per request; the baton is the client's own, because nothing reached
// upstream and that baton is still the stream's current one.
std::string pipeline_denial_body(std::size_t request_count, std::size_t denied_index, const Error& denial,
                                 const std::optional<std::string>& baton,
                                 const std::optional<std::string>& base_url);

// The cursor equivalent: the CursorRespBody line, then one `error` entry.
std::string cursor_denial_body(const Error& denial, const std::optional<std::string>& baton,
                               const std::optional<std::string>& base_url);

// The parts of an upstream pipeline response the gate acts on.
struct PipelineResponseView {
  std::optional<std::string> baton;
  std::vector<bool> ok;  // per result: type == "ok"
};

// Reads an upstream pipeline response, replaces base_url by `base_url`, and
// returns the rewritten body (upstream's bytes otherwise; hrana_json_response.hpp).
// nullopt when the body is not a JSON object, repeats a top-level key, or has a
// result whose type is not a string.
struct RewrittenResponse {
  std::string body;
  PipelineResponseView view;
};
std::optional<RewrittenResponse> rewrite_pipeline_response(std::string_view upstream_body,
                                                           const std::optional<std::string>& base_url);

// The store_sql / close_sql requests of a denied pipeline, which still go upstream
// (a documented deviation from SPEC §4's "nothing reaches upstream"): they run no
// SQL — a stored text is authorized when it is executed by sql_id — and stock
// clients (@libsql/client) close the stream, losing an open transaction, when the
// store_sql they sent with a statement fails. `indices` are their positions in the
// client's pipeline; `body` is the pipeline to forward (with the client's baton).
struct StorageForward {
  std::string body;
  std::vector<std::size_t> indices;
};
// nullopt when the pipeline has no such request (then nothing goes upstream).
std::optional<StorageForward> storage_requests_of(const PipelineRequest& pipeline);

// The client's answer to a denied pipeline whose storage requests went upstream:
// upstream's results at their positions, the denial errors elsewhere, upstream's
// baton. `ok` has one flag per client request (for apply_stored_sql). nullopt when
// `upstream` (already rewritten) does not have one result per forwarded request.
struct DeniedPipelineAnswer {
  std::string body;
  std::vector<bool> ok;
};
std::optional<DeniedPipelineAnswer> merge_denied_pipeline(const RewrittenResponse& upstream, const StorageForward& forwarded,
                                                          std::size_t request_count, std::size_t denied_index,
                                                          const Error& denial);

// The first line of a cursor response (CursorRespBody) likewise.
struct RewrittenCursorHead {
  std::string line;  // without the trailing newline
  std::optional<std::string> baton;
};
std::optional<RewrittenCursorHead> rewrite_cursor_head(std::string_view first_line,
                                                       const std::optional<std::string>& base_url);

}  // namespace gate::proxy::hrana
