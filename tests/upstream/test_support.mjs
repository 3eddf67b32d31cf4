// Raw Hrana calls (HTTP and WebSocket) for tests that look below the stock clients.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { generateKeyPair, exportSPKI, SignJWT } from "jose";

export async function postJson(baseUrl, path, body, headers = {}) {
  const response = await fetch(new URL(path, baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON: leave null */ }
  return { status: response.status, headers: response.headers, text, json };
}

export function pipeline(baseUrl, body, { version = 3, headers } = {}) {
  return postJson(baseUrl, `/v${version}/pipeline`, body, headers);
}

// Returns the status and the parsed lines of a /v3/cursor response.
export async function cursor(baseUrl, body, headers = {}) {
  const res = await postJson(baseUrl, "/v3/cursor", body, headers);
  if (res.status !== 200) return { ...res, lines: [] };
  if (!res.text.endsWith("\n")) throw new Error("cursor response does not end with a newline");
  const lines = res.text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
  return { ...res, lines };
}

export const int = (v) => ({ type: "integer", value: String(v) });
export const float = (v) => ({ type: "float", value: v });
export const text = (v) => ({ type: "text", value: v });
export const blob = (bytes) => ({ type: "blob", base64: Buffer.from(bytes).toString("base64").replace(/=+$/, "") });
export const NULL = { type: "null" };

export const exec = (sql, args, extra = {}) => ({ type: "execute", stmt: { sql, ...(args ? { args } : {}), ...extra } });

// The fields of a StmtResult that do not depend on timing.
export function stable(result) {
  const { query_duration_ms: duration, ...rest } = result;
  if (typeof duration !== "number") throw new Error("query_duration_ms missing");
  return rest;
}

// A raw protobuf POST; `body` is a Buffer.
export async function postProtobuf(baseUrl, path, body, headers = {}) {
  const response = await fetch(new URL(path, baseUrl), {
    method: "POST",
    headers: { "content-type": "application/x-protobuf", ...headers },
    body,
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  let json = null;
  try { json = JSON.parse(bytes.toString("utf8")); } catch { /* protobuf: leave null */ }
  return { status: response.status, headers: response.headers, bytes, json };
}

// A raw WebSocket client for Hrana tests: JSON messages come back parsed,
// binary ones as Buffers; next() resolves null once the socket has closed.
export async function openWs(url, protocols, options = {}) {
  const ws = new WebSocket(url, protocols, { perMessageDeflate: false, ...options });
  const messages = [];
  const waiters = [];
  let isClosed = false;
  ws.on("message", (data, isBinary) => {
    const message = isBinary ? Buffer.from(data) : JSON.parse(data.toString("utf8"));
    if (waiters.length > 0) waiters.shift()(message);
    else messages.push(message);
  });
  const closed = new Promise((resolve) => ws.on("close", (code, reason) => {
    isClosed = true;
    for (const wake of waiters.splice(0)) wake(null);
    resolve({ code, reason: reason.toString() });
  }));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => {
      reject(Object.assign(new Error(`unexpected response ${res.statusCode}`), { status: res.statusCode }));
      res.resume();
    });
  });
  const encode = (msg) => (typeof msg === "string" || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg));
  return {
    ws,
    protocol: ws.protocol,
    closed,
    next: () => {
      if (messages.length > 0) return Promise.resolve(messages.shift());
      if (isClosed) return Promise.resolve(null);
      return new Promise((resolve) => waiters.push(resolve));
    },
    send: (msg) => ws.send(encode(msg)),
    // Several messages in one TCP write, so the server receives them together.
    sendTogether: (msgs) => {
      ws._socket.cork();
      for (const msg of msgs) ws.send(encode(msg));
      ws._socket.uncork();
    },
    close: () => ws.close(),
  };
}

export const hello = (jwt = null) => ({ type: "hello", jwt });
export const request = (id, req) => ({ type: "request", request_id: id, request: req });

// An Ed25519 key pair for a JWT-protected upstream: `pem` is the public key
// file for jwtKeyFile, `privateKey` signs valid tokens, `otherKey` signs
// tokens the upstream must refuse. sign(key, claims, setup) makes an EdDSA JWT
// valid for 10 minutes unless `setup` says otherwise.
export async function jwtKeys() {
  const dir = mkdtempSync(join(tmpdir(), "upstream-jwt-"));
  const pair = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const otherKey = (await generateKeyPair("EdDSA", { crv: "Ed25519" })).privateKey;
  const pem = join(dir, "ed25519-public.pem");
  writeFileSync(pem, await exportSPKI(pair.publicKey));
  return {
    pem,
    privateKey: pair.privateKey,
    otherKey,
    sign: (key, claims = {}, setup = (jwt) => jwt.setIssuedAt().setExpirationTime("10m")) =>
      setup(new SignJWT(claims).setProtectedHeader({ alg: "EdDSA" })).sign(key),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
