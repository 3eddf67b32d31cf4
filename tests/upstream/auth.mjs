// Optional bearer-JWT check, as sqld's `--auth-jwt-key-file`: an EdDSA token
// verified with an Ed25519 public key. It lets gate tests prove that the gate
// presents its own upstream credential.

import { readFileSync } from "node:fs";
import { importSPKI, jwtVerify, errors as joseErrors } from "jose";

// sqld's AuthError messages and codes; over HTTP they come back as 401.
// `reason` is the bare message, for the WebSocket hello_error.
function authError(reason, code) {
  return { status: 401, message: `Unauthorized: \`${reason}\``, code, reason };
}

// Returns `header(authorization)` for Hrana over HTTP and `token(jwt)` for the
// WebSocket hello; each resolves to null (accepted) or the failure.
export async function loadJwtVerifier(pemPath) {
  const key = await importSPKI(readFileSync(pemPath, "utf8"), "EdDSA");

  async function token(jwt) {
    if (jwt === null || jwt === undefined) {
      return authError("The JWT is required but was not specified", "AUTH_JWT_MISSING");
    }
    try {
      await jwtVerify(jwt, key, { algorithms: ["EdDSA"] });
      return null;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return authError("The JWT has expired", "AUTH_JWT_EXPIRED");
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === "nbf") {
        return authError("The JWT is immature (not valid yet)", "AUTH_JWT_IMMATURE");
      }
      return authError("The JWT is invalid", "AUTH_JWT_INVALID");
    }
  }

  async function header(authorization) {
    if (authorization === undefined) {
      return authError("The `Authorization` HTTP header is required but was not specified",
        "AUTH_HTTP_HEADER_MISSING");
    }
    const match = /^(\S+)\s+(\S+)$/.exec(authorization.trim());
    if (!match) return authError("The `Authorization` HTTP header has invalid value", "AUTH_HTTP_HEADER_INVALID");
    if (match[1].toLowerCase() !== "bearer") {
      return authError("The authentication scheme in the `Authorization` HTTP header is not supported",
        "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME");
    }
    return token(match[2]);
  }

  return { header, token };
}
