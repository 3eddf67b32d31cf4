// The throwaway certificates: a CA, a leaf it signs for the loopback names,
// self-signed certificates for x5c, and no key material left on disk.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import * as tls from "./tls.mjs";

test("the leaf is signed by the CA, is not a CA itself, and names 127.0.0.1 and localhost", () => {
  const { caPem, certPem, keyPem } = tls.createServerTls();
  const ca = new X509Certificate(caPem);
  const leaf = new X509Certificate(certPem);
  assert.equal(ca.ca, true);
  assert.equal(leaf.ca, false);
  assert.ok(leaf.verify(ca.publicKey));
  assert.ok(leaf.checkIssued(ca));
  assert.equal(leaf.checkIP("127.0.0.1"), "127.0.0.1");
  assert.equal(leaf.checkHost("localhost"), "localhost");
  assert.equal(leaf.checkHost("example.com"), undefined);
  assert.deepEqual(leaf.keyUsage, ["1.3.6.1.5.5.7.3.1"]); // Node's keyUsage is the extended one: serverAuth
  assert.match(keyPem, /-----BEGIN PRIVATE KEY-----/);
});

test("each call makes a new CA, so no two issuers trust each other's certificates", () => {
  const a = tls.createServerTls();
  const b = tls.createServerTls();
  assert.notEqual(a.caPem, b.caPem);
  assert.equal(new X509Certificate(a.certPem).verify(new X509Certificate(b.caPem).publicKey), false);
});

test("the temporary directory is gone after each call", async () => {
  tls.createServerTls();
  assert.ok(tls.lastTempDir);
  assert.equal(existsSync(tls.lastTempDir), false);
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await tls.selfSignedCertificateDer(privateKey, "x");
  assert.equal(existsSync(tls.lastTempDir), false);
});

test("a self-signed certificate carries the given key and common name", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const cert = new X509Certificate(await tls.selfSignedCertificateDer(privateKey, "dev-tenant.example.auth0.com"));
  assert.ok(cert.publicKey.equals(publicKey));
  assert.equal(cert.subject, "CN=dev-tenant.example.auth0.com");
  assert.ok(cert.verify(publicKey));
});
