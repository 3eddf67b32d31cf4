// Hrana's shared structures in protobuf ("Shared structures" in the spec's
// appendix). Decoding yields exactly the JSON shape of the same structure, so
// protobuf requests go through the same checks (protocol.mjs) and executor as
// JSON ones, and /_test/received shows one shape whatever the encoding.
// Encoding takes the JSON-shaped results the executor produces.

import { schema } from "./protobuf_wire.mjs";

// --- decoding (client to server) ---

// A oneof member whose message fields land in an object of the given type,
// replacing whatever an earlier member of the same oneof left. An empty oneof
// stays {} and protocol.mjs refuses it as an unknown type.
export const variant = (type, fields = {}, defaults = () => ({})) =>
  [schema(() => ({ type, ...defaults() }), fields), replaceContents];

export function replaceContents(target, source) {
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, source);
}

export const Value = schema(() => ({}), {
  1: [schema(() => null), (m) => { m.type = "null"; delete m.value; delete m.base64; }],
  2: ["sint64", (m, v) => { m.type = "integer"; m.value = v.toString(); delete m.base64; }],
  3: ["double", (m, v) => { m.type = "float"; m.value = v; delete m.base64; }],
  4: ["string", (m, v) => { m.type = "text"; m.value = v; delete m.base64; }],
  5: ["bytes", (m, v) => {
    m.type = "blob";
    m.base64 = v.toString("base64").replace(/=+$/, "");
    delete m.value;
  }],
});

const NamedArg = schema(() => ({ name: "", value: {} }), {
  1: ["string", (m, v) => { m.name = v; }],
  2: [Value, (m, v) => { m.value = v; }],
});

export const Stmt = schema(() => ({ args: [], named_args: [] }), {
  1: ["string", (m, v) => { m.sql = v; }],
  2: ["int32", (m, v) => { m.sql_id = v; }],
  3: [Value, (m, v) => { m.args.push(v); }],
  4: [NamedArg, (m, v) => { m.named_args.push(v); }],
  5: ["bool", (m, v) => { m.want_rows = v; }],
});

// An empty oneof comes out as {} and is refused by protocol.mjs like a JSON
// condition without a known type.
const BatchCond = schema(() => ({}));
const CondList = schema(() => ({ conds: [] }), {
  1: [BatchCond, (m, v) => { m.conds.push(v); }],
});
const IsAutocommit = schema(() => ({}));
const setCond = (type, fill) => (m, v) => {
  replaceContents(m, { type });
  fill(m, v);
};
Object.assign(BatchCond.fields, {
  1: ["uint32", setCond("ok", (m, v) => { m.step = v; })],
  2: ["uint32", setCond("error", (m, v) => { m.step = v; })],
  3: [BatchCond, setCond("not", (m, v) => { m.cond = v; })],
  4: [CondList, setCond("and", (m, v) => { m.conds = v.conds; })],
  5: [CondList, setCond("or", (m, v) => { m.conds = v.conds; })],
  6: [IsAutocommit, setCond("is_autocommit", () => {})],
});

const BatchStep = schema(() => ({ stmt: Stmt.init() }), {
  1: [BatchCond, (m, v) => { m.condition = v; }],
  2: [Stmt, (m, v) => { m.stmt = v; }],
});

export const Batch = schema(() => ({ steps: [] }), {
  1: [BatchStep, (m, v) => { m.steps.push(v); }],
});

// --- encoding (server to client) ---

export function writeError(w, error) {
  w.string(1, error.message);
  if (error.code !== null && error.code !== undefined) w.string(2, error.code);
}

function writeValue(w, value) {
  switch (value.type) {
    case "null": w.message(1, () => {}); return;
    case "integer": w.sint64(2, BigInt(value.value)); return;
    case "float": w.double(3, value.value); return;
    case "text": w.string(4, value.value); return;
    case "blob": w.bytes(5, Buffer.from(value.base64, "base64")); return;
  }
  throw new Error(`cannot encode value of type ${value.type}`);
}

function writeCol(w, col) {
  if (col.name !== null && col.name !== undefined) w.string(1, col.name);
  if (col.decltype !== null && col.decltype !== undefined) w.string(2, col.decltype);
}

function writeRow(w, row) {
  for (const value of row) w.message(1, (sub) => writeValue(sub, value));
}

function writeStmtResult(w, result) {
  for (const col of result.cols) w.message(1, (sub) => writeCol(sub, col));
  for (const row of result.rows) w.message(2, (sub) => writeRow(sub, row));
  if (result.affected_row_count) w.uint64(3, result.affected_row_count);
  if (result.last_insert_rowid !== null) w.sint64(4, BigInt(result.last_insert_rowid));
  if (result.replication_index !== null) w.uint64(5, BigInt(result.replication_index));
  if (result.rows_read) w.uint64(6, result.rows_read);
  if (result.rows_written) w.uint64(7, result.rows_written);
  if (result.query_duration_ms) w.double(8, result.query_duration_ms);
}

// The JSON arrays (one slot per step, null where a step has no result) are
// protobuf maps: entries with key 1 (step) and value 2.
function writeBatchResult(w, result) {
  result.step_results.forEach((stepResult, step) => {
    if (stepResult === null) return;
    w.message(1, (entry) => {
      if (step) entry.uint32(1, step);
      entry.message(2, (sub) => writeStmtResult(sub, stepResult));
    });
  });
  result.step_errors.forEach((error, step) => {
    if (error === null) return;
    w.message(2, (entry) => {
      if (step) entry.uint32(1, step);
      entry.message(2, (sub) => writeError(sub, error));
    });
  });
  if (result.replication_index !== null) w.uint64(3, BigInt(result.replication_index));
}

export function writeCursorEntry(w, entry) {
  switch (entry.type) {
    case "step_begin":
      w.message(1, (sub) => {
        if (entry.step) sub.uint32(1, entry.step);
        for (const col of entry.cols) sub.message(2, (c) => writeCol(c, col));
      });
      return;
    case "step_end":
      w.message(2, (sub) => {
        if (entry.affected_row_count) sub.uint64(1, entry.affected_row_count);
        if (entry.last_insert_rowid !== null) sub.sint64(2, BigInt(entry.last_insert_rowid));
      });
      return;
    case "step_error":
      w.message(3, (sub) => {
        if (entry.step) sub.uint32(1, entry.step);
        sub.message(2, (e) => writeError(e, entry.error));
      });
      return;
    case "row":
      w.message(4, (sub) => writeRow(sub, entry.row));
      return;
    case "error":
      w.message(5, (sub) => writeError(sub, entry.error));
      return;
  }
  throw new Error(`cannot encode cursor entry of type ${entry.type}`);
}

function writeDescribeResult(w, result) {
  for (const param of result.params) {
    w.message(1, (sub) => { if (param.name !== null) sub.string(1, param.name); });
  }
  for (const col of result.cols) {
    w.message(2, (sub) => {
      sub.string(1, col.name);
      if (col.decltype !== null) sub.string(2, col.decltype);
    });
  }
  if (result.is_explain) w.bool(3, true);
  if (result.is_readonly) w.bool(4, true);
}

// The bodies of the responses that carry data, shared by the HTTP
// StreamResponse and the WebSocket Response (only their field numbers differ);
// the other responses are empty messages.
export const RESPONSE_BODIES = {
  execute: (w, r) => w.message(1, (sub) => writeStmtResult(sub, r.result)),
  batch: (w, r) => w.message(1, (sub) => writeBatchResult(sub, r.result)),
  describe: (w, r) => w.message(1, (sub) => writeDescribeResult(sub, r.result)),
  get_autocommit: (w, r) => { if (r.is_autocommit) w.bool(1, true); },
  fetch_cursor: (w, r) => {
    for (const entry of r.entries) w.message(1, (sub) => writeCursorEntry(sub, entry));
    if (r.done) w.bool(2, true);
  },
};
