// Token and JWKS shapes of the providers the gate is used with. Each profile
// says how its issuer string, key ids, JWKS entries, JOSE header and default
// claims look; `mint` (issuer.mjs) lays test overrides on top.
//
// Sources (read 2026-11; shapes, not behaviour, are copied):
// - Clerk session token, v2: https://clerk.com/docs/guides/sessions/session-tokens
//   default claims azp, exp, fva, iat, iss, jti, nbf, sid, sub, v; `o` (active
//   organization: id, rol, slg; per/fpm only with features); iss is the
//   Frontend API URL, `https://<slug>.clerk.accounts.dev` in development, no
//   trailing slash; exp from the "Token lifetime" (60 s) and nbf from the
//   "Allowed clock skew" (5 s) template settings.
// - Clerk JWT template carrying Turso claims: `turso org jwks template
//   --database <db> --scope full-access` prints
//   {"a":"rw","id":"<db uuid>","perm":[],"rid":"<uuid>"}, and a token made
//   from it (quoted in a public issue report) reads, keys sorted:
//   a, azp, exp (iat+60), iat, id, iss, jti (20 hex chars), nbf (iat-5), perm,
//   rid, sub (user_…): template tokens have no sid/v/o.
//   https://docs.turso.tech/sdk/authorization/jwks
// - Auth0 access token for an API with RBAC and "Add Permissions in the Access
//   Token": iss `https://<tenant>/` (trailing slash), sub `auth0|…`, aud
//   [API identifier, https://<tenant>/userinfo] when openid is requested,
//   iat, exp (API token expiration, default 86400 s), scope, azp (client id),
//   permissions; custom claims namespaced as URLs, set by Actions.
//   https://auth0.com/docs/manage-users/access-control/configure-core-rbac/enable-role-based-access-control-for-apis
//   https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims
//   JWKS entries carry kty, use, n, e, kid, x5t, x5c, alg.
// - Turso platform tokens (`turso db tokens create`, `turso group tokens
//   create`): EdDSA over Ed25519, header {"alg":"EdDSA","typ":"JWT"} with no
//   kid; claims a ("rw"/"ro"), id (database) or gid (group), iat, rid, p and
//   perm when asked for; exp only with --expiration (sqld does not require
//   it: libsql-server/src/auth/user_auth_strategies/jwt.rs removes exp from
//   the required claims). We mint with exp by default because the gate
//   requires it; `omit: ["exp"]` gives the never-expiring shape.
//   https://docs.turso.tech/sdk/authorization/tokens
//   https://docs.turso.tech/sdk/authorization/fine-grained-permissions

import { base62, clerkId, hex, base64url, uuid } from "./ids.mjs";
import { makeSigningKey, certificateMembers } from "./keys.mjs";

// Keys sorted, as both sources above show the claims.
function sorted(object) {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// exp from the lifetime; `ttl: null` leaves exp out.
const expiry = (now, ttl) => (ttl === null ? {} : { exp: now + ttl });

const clerk = {
  name: "clerk",
  alg: "RS256",
  issuer: (baseUrl) => baseUrl,
  kinds: ["session", "template"],
  defaultKind: "session",
  lifetime: () => 60,
  makeKey() {
    const kid = clerkId("ins");
    return makeSigningKey("RS256", kid, ({ kty, n, e }) => ({ use: "sig", kty, kid, alg: "RS256", n, e }));
  },
  header: (key) => ({ alg: "RS256", kid: key.kid, typ: "JWT" }),
  claims(kind, { iss, now, ttl, ctx }) {
    const common = { azp: ctx.azp, ...expiry(now, ttl), iat: now, iss, jti: hex(10), nbf: now - 5, sub: ctx.subject };
    if (kind === "template") {
      return sorted({ ...common, a: "rw", id: ctx.databaseId, perm: [], rid: uuid() });
    }
    return sorted({
      ...common,
      fva: [0, -1],
      o: { id: ctx.orgId, rol: "admin", slg: "acme" },
      sid: clerkId("sess"),
      v: 2,
    });
  },
  context: () => ({ subject: clerkId("user"), orgId: clerkId("org"), azp: "https://example.com" }),
};

const auth0 = {
  name: "auth0",
  alg: "RS256",
  issuer: (baseUrl) => `${baseUrl}/`,
  kinds: ["access"],
  defaultKind: "access",
  lifetime: () => 86400,
  makeKey() {
    // Auth0 kids are opaque url-safe strings.
    const kid = base64url(16);
    // The certificate is in the JWKS because Auth0 serves one; the gate must
    // ignore it (keys come only from n/e), so tests can rely on it being there.
    return makeSigningKey("RS256", kid, async ({ kty, n, e }, privateKey) => {
      const { x5t, x5c } = await certificateMembers(privateKey, "dev-tenant.example.auth0.com");
      return { kty, use: "sig", n, e, kid, x5t, x5c, alg: "RS256" };
    });
  },
  header: (key) => ({ alg: "RS256", typ: "JWT", kid: key.kid }),
  claims(kind, { iss, now, ttl, ctx }) {
    return {
      [ctx.rolesClaim]: [],
      iss,
      sub: ctx.subject,
      aud: [ctx.audience, `${iss}userinfo`],
      iat: now,
      ...expiry(now, ttl),
      scope: "openid profile email",
      azp: ctx.azp,
      permissions: [],
    };
  },
  context: () => ({
    subject: `auth0|${hex(12)}`,
    azp: base62(32), // Auth0 client ids are 32 alphanumerics
    audience: "https://api.example.com",
    rolesClaim: "https://example.com/roles",
  }),
};

const turso = {
  name: "turso",
  alg: "EdDSA",
  issuer: (baseUrl) => baseUrl,
  kinds: ["database", "group"],
  defaultKind: "database",
  lifetime: () => 3600,
  makeKey() {
    const kid = base64url(12);
    return makeSigningKey("EdDSA", kid, ({ kty, crv, x }) => ({ kty, crv, x, kid, use: "sig", alg: "EdDSA" }));
  },
  // Turso's own tokens name no key; pass header: {kid} when a JWKS has several.
  header: () => ({ alg: "EdDSA", typ: "JWT" }),
  // Turso tokens carry no iss; the issuer string only names the config entry.
  claims(kind, { now, ttl, ctx }) {
    const scope = kind === "group" ? { gid: ctx.groupId } : { id: ctx.databaseId };
    return sorted({ a: "rw", ...expiry(now, ttl), ...scope, iat: now, rid: uuid() });
  },
  context: () => ({}),
};

export const PROFILES = { clerk, auth0, turso };

export function getProfile(name) {
  const profile = PROFILES[name];
  if (!profile) throw new Error(`unknown profile ${JSON.stringify(name)} (clerk, auth0, turso)`);
  return profile;
}

// `perm` entries from the CLI's `-p TABLE:ACTION[,ACTION...]` strings, in the
// object form of SPEC §5: {"t": [tables] | null, "a": [actions]}, `all` -> null.
export function permClaim(specs) {
  return specs.map((spec) => {
    const colon = spec.indexOf(":");
    if (colon <= 0) throw new Error(`permission ${JSON.stringify(spec)} is not TABLE:ACTION[,ACTION...]`);
    const table = spec.slice(0, colon);
    return { t: table === "all" ? null : [table], a: spec.slice(colon + 1).split(",") };
  });
}
