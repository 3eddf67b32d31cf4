// Signing keys and the key ring an issuer publishes. A ring models how
// providers rotate: a key can be published before anything signs with it
// (Auth0's "next" key), become the signing key, and later be retired from the
// JWKS while tokens it signed may still be in flight.

import { generateKeyPair as generateKeyPairCallback, createHash } from "node:crypto";
import { promisify } from "node:util";
import { exportJWK } from "jose";
import { selfSignedCertificateDer } from "./tls.mjs";

// A fresh key pair for `alg` ("RS256" or "EdDSA"), made off the event loop:
// an RSA key takes long enough to stall an issuer under traffic.
const generate = promisify(generateKeyPairCallback);
export function generateKeyPair(alg) {
  if (alg === "RS256") return generate("rsa", { modulusLength: 2048 });
  if (alg === "EdDSA") return generate("ed25519");
  return Promise.reject(new Error(`unsupported signing algorithm ${alg}`));
}

// A signing key as the ring holds it. `toJwk(members, privateKey)` builds the
// served JWK from the bare public members (kty, n/e or crv/x) so each profile
// chooses the member set and order its provider serves.
export async function makeSigningKey(alg, kid, toJwk) {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const publicJwk = await toJwk(await exportJWK(publicKey), privateKey);
  return { kid, alg, privateKey, publicKey, publicJwk };
}

// x5c / x5t for a key: a self-signed certificate (base64 DER, not url-safe, per
// RFC 7517 §4.7) and its SHA-1 thumbprint (base64url, §4.8).
export async function certificateMembers(privateKey, commonName) {
  const der = await selfSignedCertificateDer(privateKey, commonName);
  return {
    x5t: createHash("sha1").update(der).digest("base64url"),
    x5c: [der.toString("base64")],
  };
}

export class KeyRing {
  // makeKey: async () => {kid, alg, privateKey, publicKey, publicJwk}
  constructor(makeKey) {
    this.makeKey = makeKey;
    this.published = [];   // served in the JWKS, oldest first
    this.pending = [];     // published but not yet signing, oldest first
    this.signing = null;
  }

  static async create(makeKey) {
    const ring = new KeyRing(makeKey);
    const key = await makeKey();
    ring.published.push(key);
    ring.signing = key;
    return ring;
  }

  // Publishes a new key that nothing signs with yet; returns its kid.
  async addKey() {
    const key = await this.makeKey();
    this.published.push(key);
    this.pending.push(key);
    return key.kid;
  }

  // Switches signing to a published key: `kid`, or the oldest pending one.
  promote(kid) {
    const key = kid === undefined ? this.pending[0] : this.published.find((k) => k.kid === kid);
    if (!key) throw new Error(kid === undefined ? "no published key waiting to sign" : `no published key ${kid}`);
    this.pending = this.pending.filter((k) => k !== key);
    this.signing = key;
    return key.kid;
  }

  // One-step rotation: a new key is published and signs at once; the previous
  // key stays published (tokens it signed remain verifiable).
  async rotate() {
    const previousKid = this.signing.kid;
    const kid = this.promote(await this.addKey());
    return { kid, previousKid };
  }

  // Retires a key from the JWKS. Removing the signing key is allowed on
  // purpose: later tokens are then signed by a key the JWKS no longer has
  // (a revoked key still in use). Returns whether the kid was published.
  removeKey(kid) {
    const before = this.published.length;
    this.published = this.published.filter((k) => k.kid !== kid);
    this.pending = this.pending.filter((k) => k.kid !== kid);
    return this.published.length !== before;
  }

  find(kid) {
    return this.published.find((k) => k.kid === kid) ?? null;
  }

  jwks() {
    return { keys: this.published.map((k) => ({ ...k.publicJwk })) };
  }

  // A key of the same kind that is never published (for "unknown key" tests).
  unpublished() {
    return this.makeKey();
  }
}
