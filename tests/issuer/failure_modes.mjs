// How the key endpoints misbehave on request, to test the gate's fetcher:
// an identity provider that errors, never answers, answers nonsense, or drops
// the connection. Control endpoints never fail, so tests can always recover.

export const FAILURE_MODES = ["none", "500", "hang", "garbage", "close"];

// Other 4xx/5xx statuses are accepted too ("503", "429", "404").
export function checkFailureMode(mode) {
  if (FAILURE_MODES.includes(mode) || /^[45]\d\d$/.test(mode)) return mode;
  throw new Error(`unknown failure mode ${JSON.stringify(mode)} (${FAILURE_MODES.join(", ")} or an HTTP status)`);
}

// Answers a key-endpoint request according to `mode`; returns false for
// "none" (the caller serves normally). `goodBody` is what would have been sent.
export function fail(mode, req, res, goodBody, hanging) {
  if (mode === "none") return false;
  if (mode === "hang") {
    // Headers are never sent; the response is kept so close() can end it.
    hanging.add(res);
    res.on("close", () => hanging.delete(res));
    return true;
  }
  if (mode === "close") {
    req.socket.destroy();
    return true;
  }
  if (mode === "garbage") {
    // A 200 with a JSON content type and a cut-off body, as from a proxy that
    // truncated the real answer: only parsing can tell it is wrong.
    const body = goodBody.slice(0, Math.max(1, Math.floor(goodBody.length / 2)));
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
    return true;
  }
  const body = JSON.stringify({ error: `development issuer failing with ${mode}` });
  res.writeHead(Number(mode), { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
  return true;
}
