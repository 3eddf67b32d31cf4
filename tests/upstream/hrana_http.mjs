// The two Hrana-over-HTTP endpoints: `pipeline` (JSON in, JSON out) and
// `cursor` (JSON in, newline-delimited JSON entries out, streamed).

import { setImmediate as nextTurn } from "node:timers/promises";
import { ProtocolError, StmtError } from "./errors.mjs";
import { parsePipelineBody, parseCursorBody } from "./protocol.mjs";
import {
  resolveSql, executeStmt, executeBatch, executeSequence, describeSql, compileBatch, batchEntries,
} from "./executor.mjs";

const MAX_STORED_SQLS = 50;
const MAX_STORED_SQL_BYTES = 5000;

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
    case "store_sql": {
      if (stream.sqls.has(request.sqlId)) {
        throw new ProtocolError(`SQL text ${request.sqlId} already exists`, "SQL_EXISTS");
      }
      if (stream.sqls.size >= MAX_STORED_SQLS) {
        throw new StmtError(`The server already stores ${stream.sqls.size} SQL texts, it cannot store more`,
          "SQL_STORE_TOO_MANY");
      }
      const size = Buffer.byteLength(request.sql);
      if (size > MAX_STORED_SQL_BYTES) {
        throw new StmtError(`The statement is too large to be stored: ${size} B/5.0 KB`, "SQL_STORE_TOO_LARGE");
      }
      stream.sqls.set(request.sqlId, request.sql);
      return { type: "store_sql" };
    }
    case "close_sql":
      stream.sqls.delete(request.sqlId);
      return { type: "close_sql" };
    case "get_autocommit":
      if (version < 3) throw versionTooLow("The `get_autocommit` request");
      return { type: "get_autocommit", is_autocommit: connectionOf(stream).isAutocommit };
  }
  throw new ProtocolError("StreamRequest type not recognized");
}

// Each request's failure is its own `error` result; a ProtocolError fails the
// whole HTTP request and drops the stream, as in sqld.
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

export async function handleCursor(server, rawBody, res) {
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
  res.writeHead(200, { "content-type": "text/plain" });
  res.write(JSON.stringify({ baton: registry.nextBaton(stream), base_url: server.baseUrl }) + "\n");
  const entries = batchEntries(stream.conn, steps);
  try {
    let sinceYield = 0;
    for (const entry of entries) {
      if (res.destroyed) break;
      const fits = res.write(JSON.stringify(entry) + "\n");
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
      res.write(JSON.stringify({ type: "error", error: { message: String(err?.message ?? err), code: "INTERNAL" } }) + "\n");
    }
  } finally {
    entries.return();
    registry.release(stream);
    cursorFinished();
    res.end();
  }
}
