// Mints a pool of distinct tokens (one per line) for the cold-verification run:
//   node bench/tools/mint_pool.mjs PRIVATE.pem KID ALG ISS COUNT OUT [SHARD SHARDS]
// Each token has its own `jti`, so no two share a cache entry in the gate.
import { readFileSync, writeFileSync } from "node:fs";
import { createPrivateKey, sign as nodeSign } from "node:crypto";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

const [pem, kid, alg, iss, countText, out, shardText = "0", shardsText = "1"] = process.argv.slice(2);
const count = Number(countText), shard = Number(shardText), shards = Number(shardsText);
const key = createPrivateKey(readFileSync(pem));
const b64 = (b) => Buffer.from(b).toString("base64url");
const header = b64(JSON.stringify({ alg, kid, typ: "JWT" }));
const now = Math.floor(Date.now() / 1000);
const lines = [];
// Signing with node:crypto directly (what jose does underneath) keeps minting of
// tens of thousands of tokens within seconds.
for (let i = shard; i < count; i += shards) {
  const payload = b64(JSON.stringify({
    iss, sub: `user-${i}`, jti: `bench-${now}-${i}`, iat: now, exp: now + 3600,
    perm: [{ t: ["users"], a: ["data_read", "data_add"] }],
  }));
  const input = `${header}.${payload}`;
  const sig = alg === "ES256"
    ? nodeSign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" })
    : nodeSign("sha256", Buffer.from(input), key);
  lines.push(`${input}.${b64(sig)}`);
}
writeFileSync(out, lines.join("\n") + "\n");
