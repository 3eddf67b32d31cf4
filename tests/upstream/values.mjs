// Hrana values <-> the JavaScript values better-sqlite3 binds and returns.
// The connection runs with safe integers on, so every SQLite INTEGER arrives
// as a BigInt and every REAL as a number: the JS type alone tells them apart.

import { ProtocolError } from "./errors.mjs";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL = /^[+-]?[0-9]+$/;
const BASE64 = /^[A-Za-z0-9+/]*$/;

function badValue(what) {
  return new ProtocolError(`Cannot deserialize client message from JSON: ${what}`);
}

export function decodeValue(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badValue("a Value must be an object");
  }
  switch (value.type) {
    case "null":
      return null;
    case "integer": {
      if (typeof value.value !== "string" || !DECIMAL.test(value.value)) {
        throw badValue("integer value must be a decimal integer as a string");
      }
      const n = BigInt(value.value);
      if (n < INT64_MIN || n > INT64_MAX) {
        throw badValue(`integer value ${value.value} is out of the 64-bit range`);
      }
      return n;
    }
    case "float":
      if (typeof value.value !== "number") throw badValue("float value must be a number");
      return value.value;
    case "text":
      if (typeof value.value !== "string") throw badValue("text value must be a string");
      return value.value;
    case "blob": {
      if (typeof value.base64 !== "string") throw badValue("blob value must carry a base64 string");
      // sqld accepts base64 with or without padding.
      const text = value.base64.replace(/=+$/, "");
      if (!BASE64.test(text) || text.length % 4 === 1) {
        throw badValue("blob value is not valid base64");
      }
      return Buffer.from(text, "base64");
    }
    default:
      throw badValue("Value type not recognized");
  }
}

// Floats that JSON cannot carry (inf, nan) are kept: JSON.stringify writes them
// as null, as sqld's serde_json does, and protobuf's double carries them.
export function encodeValue(v) {
  if (v === null || v === undefined) return { type: "null" };
  if (typeof v === "bigint") return { type: "integer", value: v.toString() };
  if (typeof v === "number") return { type: "float", value: v };
  if (typeof v === "string") return { type: "text", value: v };
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    // sqld encodes blobs without base64 padding.
    return { type: "blob", base64: Buffer.from(v).toString("base64").replace(/=+$/, "") };
  }
  throw new Error(`unexpected value from SQLite: ${typeof v}`);
}
