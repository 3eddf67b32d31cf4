// Random identifiers in the shapes the providers use. Shapes only: nothing
// checks these beyond "looks like the real thing" in logs and fixtures.

import { randomBytes, randomUUID } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function base62(length) {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 * 62: rejecting the rest keeps the characters uniform.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export const hex = (bytes) => randomBytes(bytes).toString("hex");
export const base64url = (bytes) => randomBytes(bytes).toString("base64url");
export const uuid = () => randomUUID();

// Clerk object ids are a prefix and 27 base62 characters (KSUID-like), e.g.
// `user_2abc…`, `sess_…`, `org_…`, `ins_…` (the instance id is the JWKS kid).
export const clerkId = (prefix) => `${prefix}_${base62(27)}`;
