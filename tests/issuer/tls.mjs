// Throwaway X.509 material made with the `openssl` CLI: Node can parse
// certificates (X509Certificate) but has no API to create them. Each call works
// in its own temporary directory and removes it before returning, so no key
// material outlives the call on disk.

import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A config of our own instead of the system openssl.cnf: `req -x509` would
// otherwise add that file's default extensions, and -addext on top of them
// fails as "duplicate extension".
const CA_CONFIG = `[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = libsql-gate development issuer CA
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;

const LEAF_EXTENSIONS = `basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

// A bare self-signed certificate carrying a given key, as Auth0 publishes in
// `x5c`; no extensions are needed because nothing validates it as a chain.
const SELF_SIGNED_CONFIG = (cn) => `[req]
distinguished_name = dn
prompt = no
[dn]
CN = ${cn}
`;

function openssl(args, cwd) {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

// Asynchronous, for certificates made while the issuer serves (a key added
// under traffic must not stall the event loop).
const opensslAsync = (args, cwd) => promisify(execFile)("openssl", args, { cwd });

// Runs fn(dir) (sync or async) in a fresh temporary directory that is always
// removed. `lastTempDir` lets tests check the removal.
export let lastTempDir = null;
function inTempDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), "libsql-gate-issuer-"));
  lastTempDir = dir;
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let result;
  try {
    result = fn(dir);
  } catch (err) {
    remove();
    throw err;
  }
  if (result instanceof Promise) return result.finally(remove);
  remove();
  return result;
}

// A CA and a leaf for 127.0.0.1 and localhost signed by it, valid for two days
// (tests are short; a long validity would only hide clock problems).
export function createServerTls() {
  return inTempDir((dir) => {
    writeFileSync(join(dir, "ca.cnf"), CA_CONFIG);
    writeFileSync(join(dir, "leaf.ext"), LEAF_EXTENSIONS);
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(["req", "-x509", "-config", "ca.cnf", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2"], dir);
    openssl(["req", "-new", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1"], dir);
    openssl(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
      "-days", "2", "-extfile", "leaf.ext", "-out", "leaf.pem"], dir);
    return {
      caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
      certPem: readFileSync(join(dir, "leaf.pem"), "utf8"),
      keyPem: readFileSync(join(dir, "leaf.key"), "utf8"),
    };
  });
}

// DER bytes of a self-signed certificate for `privateKey` (a KeyObject).
export function selfSignedCertificateDer(privateKey, commonName) {
  return inTempDir(async (dir) => {
    writeFileSync(join(dir, "req.cnf"), SELF_SIGNED_CONFIG(commonName));
    writeFileSync(join(dir, "key.pem"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    await opensslAsync(["req", "-x509", "-config", "req.cnf", "-key", "key.pem", "-days", "365", "-outform", "DER", "-out", "cert.der"], dir);
    return readFileSync(join(dir, "cert.der"));
  });
}
