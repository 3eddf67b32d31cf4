// Hrana over HTTP bodies in protobuf ("Hrana over HTTP" in the spec's
// appendix), to and from the JSON shape of the same bodies.

import { schema, decodeMessage, Writer, lengthPrefixed } from "./protobuf_wire.mjs";
import { Stmt, Batch, variant, writeError, writeCursorEntry, RESPONSE_BODIES } from "./hrana_protobuf_shared.mjs";

const sqlOrId = {
  1: ["string", (m, v) => { m.sql = v; }],
  2: ["int32", (m, v) => { m.sql_id = v; }],
};

const StreamRequest = schema(() => ({}), {
  1: variant("close"),
  2: variant("execute", { 1: [Stmt, (m, v) => { m.stmt = v; }] }, () => ({ stmt: Stmt.init() })),
  3: variant("batch", { 1: [Batch, (m, v) => { m.batch = v; }] }, () => ({ batch: Batch.init() })),
  4: variant("sequence", sqlOrId),
  5: variant("describe", sqlOrId),
  6: variant("store_sql", {
    1: ["int32", (m, v) => { m.sql_id = v; }],
    2: ["string", (m, v) => { m.sql = v; }],
  }, () => ({ sql_id: 0, sql: "" })),
  7: variant("close_sql", { 1: ["int32", (m, v) => { m.sql_id = v; }] }, () => ({ sql_id: 0 })),
  8: variant("get_autocommit"),
});

const PipelineReqBody = schema(() => ({ baton: null, requests: [] }), {
  1: ["string", (m, v) => { m.baton = v; }],
  2: [StreamRequest, (m, v) => { m.requests.push(v); }],
});

const CursorReqBody = schema(() => ({ baton: null, batch: Batch.init() }), {
  1: ["string", (m, v) => { m.baton = v; }],
  2: [Batch, (m, v) => { m.batch = v; }],
});

export const decodePipelineReqBody = (bytes) => decodeMessage(bytes, PipelineReqBody);
export const decodeCursorReqBody = (bytes) => decodeMessage(bytes, CursorReqBody);

// StreamResponse field numbers.
const RESPONSE_FIELDS = {
  close: 1, execute: 2, batch: 3, sequence: 4, describe: 5, store_sql: 6, close_sql: 7, get_autocommit: 8,
};

function writeBatonAndBaseUrl(w, body) {
  if (body.baton !== null) w.string(1, body.baton);
  if (body.base_url !== null) w.string(2, body.base_url);
}

export function encodePipelineRespBody(body) {
  const w = new Writer();
  writeBatonAndBaseUrl(w, body);
  for (const result of body.results) {
    w.message(3, (sub) => {
      if (result.type === "error") {
        sub.message(2, (e) => writeError(e, result.error));
        return;
      }
      const { type } = result.response;
      const write = RESPONSE_BODIES[type] ?? (() => {});
      sub.message(1, (resp) => resp.message(RESPONSE_FIELDS[type], (inner) => write(inner, result.response)));
    });
  }
  return w.finish();
}

// The cursor response is a stream of length-delimited messages.
export function encodeCursorRespBody(body) {
  const w = new Writer();
  writeBatonAndBaseUrl(w, body);
  return lengthPrefixed(w.finish());
}

export function encodeCursorEntry(entry) {
  const w = new Writer();
  writeCursorEntry(w, entry);
  return lengthPrefixed(w.finish());
}
