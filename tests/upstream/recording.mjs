// What /_test/received keeps of each request, the same whatever the transport
// and encoding: bodies are recorded in their JSON shape (protobuf is decoded
// first), plus the request types and every SQL text the request carries, so a
// gate test can assert "this SQL never reached upstream" with one check.

// Every `sql` string anywhere in the body: statements, batch steps,
// sequence/describe texts and store_sql texts, in order.
export function sqlTexts(body) {
  const found = [];
  const walk = (node) => {
    if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (node !== null && typeof node === "object") {
      if (typeof node.sql === "string") found.push(node.sql);
      for (const [key, value] of Object.entries(node)) if (key !== "sql") walk(value);
    }
  };
  walk(body);
  return found;
}

function typeOf(request) {
  return request !== null && typeof request === "object" && typeof request.type === "string" ? request.type : null;
}

// HTTP: the pipeline's request types, or ["cursor"].
export function httpRequestTypes(endpoint, body) {
  if (endpoint === "cursor") return ["cursor"];
  return Array.isArray(body?.requests) ? body.requests.map(typeOf) : [];
}

// WebSocket: the request's type for a `request` message, else none.
export function wsRequestTypes(message) {
  return typeOf(message) === "request" ? [typeOf(message.request)] : [];
}
