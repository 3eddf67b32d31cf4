// The HTTP control API under /_control/, for the local run and for tests not
// written in Node (they cannot call startIssuer's methods). Same operations,
// JSON in and out; option names are those of issuer.mint().

function sendJson(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8").trim();
      if (text === "") return resolve({});
      try {
        const value = JSON.parse(text);
        if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("body is not a JSON object");
        resolve(value);
      } catch (err) {
        reject(new Error(`bad JSON body: ${err.message}`));
      }
    });
    req.on("error", reject);
  });
}

const ROUTES = {
  "GET /_control/state": (issuer) => issuer.state(),
  "GET /_control/count": (issuer) => issuer.fetchCounts(),
  "POST /_control/count/reset": (issuer) => {
    issuer.resetFetchCount();
    return issuer.fetchCounts();
  },
  "POST /_control/mint": async (issuer, body) => {
    const { claims = {}, ...options } = body;
    return { token: await issuer.mint(claims, options) };
  },
  "POST /_control/add-key": async (issuer) => ({ kid: await issuer.addKey() }),
  "POST /_control/promote": (issuer, body) => ({ kid: issuer.promoteNext(body.kid) }),
  "POST /_control/rotate": async (issuer) => {
    const { kid, previousKid } = await issuer.rotate();
    return { kid, previous_kid: previousKid };
  },
  "POST /_control/remove": (issuer, body) => {
    if (typeof body.kid !== "string") throw new Error("body needs a string kid");
    return { removed: issuer.removeKey(body.kid) };
  },
  "POST /_control/fail": (issuer, body) => {
    issuer.setFailure(String(body.mode ?? "none"));
    return { mode: issuer.state().failure };
  },
};

export async function handleControl(issuer, req, res, path) {
  const route = ROUTES[`${req.method} ${path}`];
  if (!route) {
    const known = Object.keys(ROUTES).some((r) => r.endsWith(` ${path}`));
    return sendJson(res, known ? 405 : 404, { error: `no control endpoint ${req.method} ${path}` });
  }
  try {
    const body = req.method === "POST" ? await readJson(req) : {};
    sendJson(res, 200, await route(issuer, body));
  } catch (err) {
    sendJson(res, 400, { error: err.message });
  }
}
