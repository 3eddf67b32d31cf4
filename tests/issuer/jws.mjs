// Compact JWS assembly by hand rather than with jose's SignJWT: tests need
// tokens jose refuses to make — a header whose `alg` lies about the key, no
// kid, duplicate JSON members, a broken or empty signature. The signature is
// always made with the key's real algorithm; the header says whatever the
// test asks.

import { sign } from "node:crypto";

const b64url = (data) => Buffer.from(data).toString("base64url");

function signBytes(alg, privateKey, bytes) {
  if (alg === "RS256") return sign("sha256", bytes, privateKey); // PKCS#1 v1.5
  if (alg === "EdDSA") return sign(null, bytes, privateKey);
  throw new Error(`cannot sign with ${alg}`);
}

// header, payload: objects, or strings used verbatim as the JSON text.
// signature: "valid" | "corrupt" (one bit flipped) | "empty" (no bytes).
export function encodeJws({ header, payload, key, signature = "valid" }) {
  const text = (v) => (typeof v === "string" ? v : JSON.stringify(v));
  const input = `${b64url(text(header))}.${b64url(text(payload))}`;
  if (signature === "empty") return `${input}.`;
  const bytes = signBytes(key.alg, key.privateKey, Buffer.from(input, "ascii"));
  if (signature === "corrupt") bytes[bytes.length - 1] ^= 0x01;
  else if (signature !== "valid") throw new Error(`unknown signature mode ${JSON.stringify(signature)}`);
  return `${input}.${b64url(bytes)}`;
}

// Applies overrides to an object: a value of `undefined` deletes the member
// (JS callers), and every name in `omit` is deleted (JSON callers, who have no
// undefined).
export function overlay(base, overrides = {}, omit = []) {
  const out = { ...base, ...overrides };
  for (const [name, value] of Object.entries(out)) if (value === undefined) delete out[name];
  for (const name of omit) delete out[name];
  return out;
}

// The decoded header and payload of a compact JWS (no verification).
export function decodeJws(token) {
  const [header, payload] = token.split(".");
  const parse = (part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  return { header: parse(header), payload: parse(payload) };
}
