// Raw Hrana-over-HTTP calls for tests that look below the stock clients.

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
