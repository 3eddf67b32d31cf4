// What the tests use to talk to an issuer the way the gate does: plain
// http/https requests with the throwaway CA trusted (Node's fetch cannot take
// a CA without undici, which is not installed), and jose verifying tokens
// against keys fetched from the served JWKS.

import http from "node:http";
import https from "node:https";
import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";

// Resolves {status, headers, text, json}; rejects on connection errors and,
// with `timeoutMs`, on a request that gets no complete answer in time.
export function request(url, { method = "GET", ca, body, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === "https:" ? https : http;
    const headers = body === undefined ? {} : { "content-type": "application/json" };
    // agent: false — one connection per request, so a test's open keep-alive
    // socket never outlives it.
    const req = client.request(target, { method, ca, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON: leave null */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on("error", reject);
    });
    if (timeoutMs !== undefined) {
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error("client timeout"), { code: "CLIENT_TIMEOUT" })));
    }
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export const control = (issuer, path, body) =>
  request(`${issuer.controlUrl}/${path}`, { method: body === undefined ? "GET" : "POST", body, ca: issuer.caPem });

export async function fetchJwks(issuer) {
  const res = await request(issuer.jwksUrl, { ca: issuer.caPem });
  if (res.status !== 200) throw new Error(`JWKS answered ${res.status}`);
  return res.json;
}

// Verifies `token` with the served JWKS as a strict relying party would:
// the key is chosen by kid (or is the only key), the alg must be the key's.
export async function verifyWithJwks(token, jwks, { issuer, audience } = {}) {
  const { kid, alg } = decodeProtectedHeader(token);
  const candidates = kid === undefined ? jwks.keys : jwks.keys.filter((k) => k.kid === kid);
  if (candidates.length !== 1) throw new Error(`no single key for kid ${kid}`);
  const jwk = candidates[0];
  if (jwk.alg !== alg) throw new Error(`token alg ${alg} is not the key's ${jwk.alg}`);
  const key = await importJWK(jwk, jwk.alg);
  return jwtVerify(token, key, { algorithms: [jwk.alg], issuer, audience });
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
