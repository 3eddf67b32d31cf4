// The two Hrana-over-HTTP endpoints, `pipeline` and `cursor` (entries
// streamed as they are produced), in both encodings: JSON (/v2, /v3) and
// protobuf (/v3-protobuf). Bodies are decoded into the JSON shape, so one
// code path checks and runs them whatever the encoding.

import { setImmediate as nextTurn } from "node:timers/promises";
import { ProtocolError, StmtError } from "./errors.mjs";
import { parsePipelineBody, parseCursorBody } from "./protocol.mjs";
import { ProtobufError } from "./protobuf_wire.mjs";
import {
  decodePipelineReqBody, decodeCursorReqBody, encodePipelineRespBody, encodeCursorRespBody, encodeCursorEntry,
} from "./hrana_protobuf_http.mjs";
import {
  storeSql, resolveSql, executeStmt, executeBatch, executeSequence, describeSql, compileBatch, batchEntries,
} from "./executor.mjs";

// sqld's limits for SQL texts stored on an HTTP stream.
const STORED_SQL_LIMITS = { maxCount: 50, maxBytes: 5000 };

function connectionOf(stream) {
  if (stream.conn === null) throw new ProtocolError("Stream for this baton was closed", "BATON_STREAM_CLOSED");
  return stream.conn;
}

function versionTooLow(what) {
  return new ProtocolError(`${what} is only supported in protocol version hrana3 and higher`, "NOT_SUPPORTED");
}

function runRequest(registry, stream, request, version) {
  switch (request.type) {
    case "close":
      registry.closeConnection(stream);
      return { type: "close" };
    case "execute":
      return { type: "execute", result: executeStmt(connectionOf(stream), request.stmt, stream.sqls) };
    case "batch":
      return { type: "batch", result: executeBatch(connectionOf(stream), request.batch, stream.sqls, version) };
    case "sequence": {
      const conn = connectionOf(stream);
      executeSequence(conn, resolveSql(request.sql, request.sqlId, stream.sqls));
      return { type: "sequence" };
    }
    case "describe": {
      const conn = connectionOf(stream);
      return { type: "describe", result: describeSql(conn, resolveSql(request.sql, request.sqlId, stream.sqls)) };
    }
    case "store_sql":
      storeSql(stream.sqls, request.sqlId, request.sql, STORED_SQL_LIMITS);
      return { type: "store_sql" };
    case "close_sql":
      stream.sqls.delete(request.sqlId);
      return { type: "close_sql" };
    case "get_autocommit":
      if (version < 3) throw versionTooLow("The `get_autocommit` request");
      return { type: "get_autocommit", is_autocommit: connectionOf(stream).isAutocommit };
  }
  throw new ProtocolError("StreamRequest type not recognized");
}

// How each encoding reads request bodies and writes responses. `decode`
// returns the JSON shape of the body or throws ProtocolError (400).
export const HTTP_ENCODINGS = {
  json: {
    name: "json",
    contentType: "application/json",
    cursorContentType: "text/plain",
    decode(raw) {
      try {
        return JSON.parse(raw.toString("utf8"));
      } catch (err) {
        throw new ProtocolError(`Cannot deserialize client message from JSON: ${err.message}`);
      }
    },
    // What /_test/received shows for a body that does not decode.
    undecodable: (raw) => raw.toString("utf8"),
    encodePipeline: (body) => JSON.stringify(body),
    cursorHead: (body) => JSON.stringify(body) + "\n",
    cursorEntry: (entry) => JSON.stringify(entry) + "\n",
  },
  protobuf: {
    name: "protobuf",
    contentType: "application/x-protobuf",
    cursorContentType: "application/x-protobuf",
    decode(raw, endpoint) {
      try {
        return endpoint === "cursor" ? decodeCursorReqBody(raw) : decodePipelineReqBody(raw);
      } catch (err) {
        if (!(err instanceof ProtobufError)) throw err;
        throw new ProtocolError(`Cannot decode client message from protobuf: ${err.message}`);
      }
    },
    undecodable: (raw) => raw.toString("base64"),
    encodePipeline: encodePipelineRespBody,
    cursorHead: encodeCursorRespBody,
    cursorEntry: encodeCursorEntry,
  },
};

// Each request's failure is its own `error` result; a ProtocolError fails the
// whole HTTP request and drops the stream, as in sqld. Returns the JSON shape
// of the response body.
export async function handlePipeline(server, rawBody, version) {
  const body = parsePipelineBody(rawBody);
  const stream = await server.registry.acquire(body.baton);
  let results;
  try {
    results = body.requests.map((request) => {
      try {
        return { type: "ok", response: runRequest(server.registry, stream, request, version) };
      } catch (err) {
        if (err instanceof StmtError) return { type: "error", error: err.toHrana() };
        throw err;
      }
    });
  } catch (err) {
    server.registry.drop(stream);
    throw err;
  }
  return { baton: server.registry.release(stream), base_url: server.baseUrl, results };
}

// Above this many buffered bytes the cursor waits for the client to read.
const CURSOR_HIGH_WATER = 1 << 20;
const ENTRIES_PER_TURN = 256;

function drained(res) {
  return new Promise((resolve) => {
    res.once("drain", resolve);
    res.once("close", resolve);
  });
}

export async function handleCursor(server, rawBody, res, encoding) {
  const body = parseCursorBody(rawBody);
  const { registry } = server;
  const stream = await registry.acquire(body.baton);
  let steps;
  try {
    steps = compileBatch(connectionOf(stream), body.batch, stream.sqls, 3);
  } catch (err) {
    registry.drop(stream);
    if (err instanceof StmtError) {
      // sqld builds the cursor's program outside any per-step error handling,
      // so text its parser rejects surfaces as an internal error.
      const wrapped = new ProtocolError(`Internal Error: \`${err.message}\``, err.code, 500);
      throw wrapped;
    }
    throw err;
  }

  let cursorFinished;
  stream.cursorDone = new Promise((resolve) => { cursorFinished = resolve; });
  res.writeHead(200, { "content-type": encoding.cursorContentType });
  res.write(encoding.cursorHead({ baton: registry.nextBaton(stream), base_url: server.baseUrl }));
  const entries = batchEntries(stream.conn, steps);
  try {
    let sinceYield = 0;
    for (const entry of entries) {
      if (res.destroyed) break;
      const fits = res.write(encoding.cursorEntry(entry));
      if (!fits && res.writableLength > CURSOR_HIGH_WATER) {
        await drained(res);
        sinceYield = 0;
      } else if (++sinceYield >= ENTRIES_PER_TURN) {
        // Let the socket flush what is written so far: rows go out as produced.
        await nextTurn();
        sinceYield = 0;
      }
    }
  } catch (err) {
    if (!res.destroyed) {
      res.write(encoding.cursorEntry({ type: "error", error: { message: String(err?.message ?? err), code: "INTERNAL" } }));
    }
  } finally {
    entries.return();
    registry.release(stream);
    cursorFinished();
    res.end();
  }
}
