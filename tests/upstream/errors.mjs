// The three kinds of failure sqld distinguishes on Hrana over HTTP, because
// clients (and the gate) react to each differently:
//  - ProtocolError: the client broke the protocol; the whole HTTP request fails
//    with 400 and the stream is dropped.
//  - StreamExpiredError: a correct client may hit it; HTTP 500 with a Hrana
//    Error body, code STREAM_EXPIRED.
//  - StmtError: the statement failed; it becomes a `{"type":"error"}` result
//    (or a step error) and the stream lives on.

export class ProtocolError extends Error {
  constructor(message, code = "PROTO_ERROR", status = 400) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    this.status = status;
  }
}

export class StreamExpiredError extends Error {
  constructor() {
    super("The stream has expired due to inactivity");
    this.name = "StreamExpiredError";
    this.code = "STREAM_EXPIRED";
    this.status = 500;
  }
}

export class StmtError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "StmtError";
    this.code = code;
  }

  toHrana() {
    return { message: this.message, code: this.code };
  }
}

// sqld reports the primary result code under rusqlite's names; rusqlite has no
// name for SQLITE_ERROR and calls it SQLITE_UNKNOWN, which clients then show.
const PRIMARY_CODES = [
  "SQLITE_INTERNAL", "SQLITE_PERM", "SQLITE_ABORT", "SQLITE_BUSY", "SQLITE_LOCKED",
  "SQLITE_NOMEM", "SQLITE_READONLY", "SQLITE_INTERRUPT", "SQLITE_IOERR", "SQLITE_CORRUPT",
  "SQLITE_NOTFOUND", "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_PROTOCOL", "SQLITE_SCHEMA",
  "SQLITE_TOOBIG", "SQLITE_CONSTRAINT", "SQLITE_MISMATCH", "SQLITE_MISUSE", "SQLITE_NOLFS",
  "SQLITE_AUTH", "SQLITE_RANGE", "SQLITE_NOTADB",
];

export function primaryCode(extendedCode) {
  if (typeof extendedCode !== "string") return "SQLITE_UNKNOWN";
  for (const code of PRIMARY_CODES) {
    if (extendedCode === code || extendedCode.startsWith(code + "_")) return code;
  }
  return "SQLITE_UNKNOWN";
}

// SQLite's own parser messages; sqld rejects such text in its own parser before
// SQLite sees it, with SQL_PARSE_ERROR.
const PARSE_MESSAGE = /syntax error|incomplete input|unrecognized token/;

export function isParseFailure(err) {
  return err?.code === "SQLITE_ERROR" && PARSE_MESSAGE.test(err.message);
}

export function parseError(err) {
  return new StmtError(`SQL string could not be parsed: ${err.message}`, "SQL_PARSE_ERROR");
}

// Converts whatever better-sqlite3 threw while preparing or running a statement
// into the error sqld would have reported.
export function stmtErrorFrom(err) {
  if (err instanceof StmtError || err instanceof ProtocolError) return err;
  if (err instanceof RangeError) {
    if (/more than one statement/.test(err.message)) {
      return new StmtError("SQL string contains more than one statement", "SQL_MANY_STATEMENTS");
    }
    if (/no statements/.test(err.message)) {
      return new StmtError("SQL string does not contain any statement", "SQL_NO_STATEMENT");
    }
    return new StmtError(`Arguments do not match SQL parameters: ${err.message}`, "ARGS_INVALID");
  }
  if (isParseFailure(err)) return parseError(err);
  if (typeof err?.code === "string" && err.code.startsWith("SQLITE_")) {
    return new StmtError(`SQLite error: ${err.message}`, primaryCode(err.code));
  }
  return new StmtError(`SQLite error: ${err?.message ?? String(err)}`, "SQLITE_UNKNOWN");
}
