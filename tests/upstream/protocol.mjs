// Shape checks for Hrana-over-HTTP JSON bodies. sqld deserializes the whole
// body before executing anything, so a malformed request anywhere in a
// pipeline fails the HTTP request (400) and nothing runs; we check the same way
// up front and hand the executor plain, already-decoded structures.

import { ProtocolError } from "./errors.mjs";
import { decodeValue } from "./values.mjs";

export function fail(what) {
  return new ProtocolError(`Cannot deserialize client message from JSON: ${what}`);
}

export function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function optString(v, what) {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw fail(`${what} must be a string or null`);
  return v;
}

export function int32(v, what) {
  if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw fail(`${what} must be an int32`);
  return v;
}

export function optInt32(v, what) {
  return v === undefined || v === null ? null : int32(v, what);
}

export function uint32(v, what) {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw fail(`${what} must be a uint32`);
  return v;
}

function array(v, what) {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw fail(`${what} must be an array`);
  return v;
}

export function parseStmt(raw) {
  if (!isObject(raw)) throw fail("stmt must be an object");
  const wantRows = raw.want_rows;
  if (wantRows !== undefined && wantRows !== null && typeof wantRows !== "boolean") {
    throw fail("want_rows must be a boolean");
  }
  return {
    sql: optString(raw.sql, "sql"),
    sqlId: optInt32(raw.sql_id, "sql_id"),
    args: array(raw.args, "args").map(decodeValue),
    namedArgs: array(raw.named_args, "named_args").map((arg) => {
      if (!isObject(arg) || typeof arg.name !== "string") throw fail("named arg needs a string name");
      return { name: arg.name, value: decodeValue(arg.value) };
    }),
    wantRows: wantRows ?? true,
  };
}

function parseCond(raw) {
  if (!isObject(raw)) throw fail("condition must be an object");
  switch (raw.type) {
    case "ok":
    case "error":
      return { type: raw.type, step: uint32(raw.step, "condition step") };
    case "not":
      return { type: "not", cond: parseCond(raw.cond) };
    case "and":
    case "or":
      return { type: raw.type, conds: array(raw.conds, "conds").map(parseCond) };
    case "is_autocommit":
      return { type: "is_autocommit" };
    default:
      throw fail("BatchCond type not recognized");
  }
}

export function parseBatch(raw) {
  if (!isObject(raw)) throw fail("batch must be an object");
  if (!Array.isArray(raw.steps)) throw fail("batch.steps must be an array");
  return {
    steps: raw.steps.map((step) => {
      if (!isObject(step)) throw fail("batch step must be an object");
      const cond = step.condition === undefined || step.condition === null ? null : parseCond(step.condition);
      return { condition: cond, stmt: parseStmt(step.stmt) };
    }),
  };
}

function parseStreamRequest(raw) {
  if (!isObject(raw)) throw fail("request must be an object");
  switch (raw.type) {
    case "close":
    case "get_autocommit":
      return { type: raw.type };
    case "execute":
      return { type: "execute", stmt: parseStmt(raw.stmt) };
    case "batch":
      return { type: "batch", batch: parseBatch(raw.batch) };
    case "sequence":
    case "describe":
      return { type: raw.type, sql: optString(raw.sql, "sql"), sqlId: optInt32(raw.sql_id, "sql_id") };
    case "store_sql":
      if (typeof raw.sql !== "string") throw fail("store_sql needs a string sql");
      return { type: "store_sql", sqlId: int32(raw.sql_id, "sql_id"), sql: raw.sql };
    case "close_sql":
      return { type: "close_sql", sqlId: int32(raw.sql_id, "sql_id") };
    default:
      throw fail(`unknown variant \`${String(raw.type)}\` of StreamRequest`);
  }
}

function parseBaton(raw) {
  return optString(raw.baton, "baton");
}

export function parsePipelineBody(raw) {
  if (!isObject(raw)) throw fail("body must be a JSON object");
  if (!Array.isArray(raw.requests)) throw fail("missing field `requests`");
  return { baton: parseBaton(raw), requests: raw.requests.map(parseStreamRequest) };
}

export function parseCursorBody(raw) {
  if (!isObject(raw)) throw fail("body must be a JSON object");
  if (raw.batch === undefined) throw fail("missing field `batch`");
  return { baton: parseBaton(raw), batch: parseBatch(raw.batch) };
}
