// Hrana over HTTP bodies in protobuf ("Hrana over HTTP" in the spec's
// appendix), to and from the JSON shape of the same bodies.

import { schema, decodeMessage, Writer, lengthPrefixed } from "./protobuf_wire.mjs";
import {
  Stmt, Batch, writeError, writeStmtResult, writeBatchResult, writeCursorEntry, writeDescribeResult,
} from "./hrana_protobuf_shared.mjs";

// A oneof member: a message whose fields land in an object of the given type.
// An empty oneof stays {} and protocol.mjs refuses it as an unknown request.
const variant = (type, fields = {}, defaults = () => ({})) =>
  [schema(() => ({ type, ...defaults() }), fields), (m, v) => {
    for (const key of Object.keys(m)) delete m[key];
    Object.assign(m, v);
  }];

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

// StreamResponse field numbers and how each response's body is written.
const RESPONSES = {
  close: [1, () => {}],
  execute: [2, (w, r) => w.message(1, (sub) => writeStmtResult(sub, r.result))],
  batch: [3, (w, r) => w.message(1, (sub) => writeBatchResult(sub, r.result))],
  sequence: [4, () => {}],
  describe: [5, (w, r) => w.message(1, (sub) => writeDescribeResult(sub, r.result))],
  store_sql: [6, () => {}],
  close_sql: [7, () => {}],
  get_autocommit: [8, (w, r) => { if (r.is_autocommit) w.bool(1, true); }],
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
      const [fieldNo, write] = RESPONSES[result.response.type];
      sub.message(1, (resp) => resp.message(fieldNo, (inner) => write(inner, result.response)));
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
