// Runs Hrana statements, batches, sequences and describes on one stream's
// connection, with sqld's result shapes and error codes.

import { performance } from "node:perf_hooks";
import { ProtocolError, StmtError, stmtErrorFrom, isParseFailure, parseError } from "./errors.mjs";
import { encodeValue } from "./values.mjs";
import { sqlParameters, firstKeyword } from "./sql_params.mjs";

export function resolveSql(sql, sqlId, sqls) {
  if (sql !== null && sqlId !== null) {
    throw new ProtocolError("Either `sql` or `sql_id` are required, but not both");
  }
  if (sql !== null) return sql;
  if (sqlId === null) throw new ProtocolError("Either `sql` or `sql_id` are required");
  if (!sqls.has(sqlId)) throw new ProtocolError(`SQL text ${sqlId} not found`, "SQL_NOT_FOUND");
  return sqls.get(sqlId);
}

// The store_sql request: an id in use is a protocol error; too many or too
// large texts fail the request only.
export function storeSql(sqls, sqlId, sql, { maxCount, maxBytes }) {
  if (sqls.has(sqlId)) throw new ProtocolError(`SQL text ${sqlId} already exists`, "SQL_EXISTS");
  if (sqls.size >= maxCount) {
    throw new StmtError(`The server already stores ${sqls.size} SQL texts, it cannot store more`, "SQL_STORE_TOO_MANY");
  }
  const size = Buffer.byteLength(sql);
  if (size > maxBytes) {
    throw new StmtError(`The statement is too large to be stored: ${size} B/${(maxBytes / 1000).toFixed(1)} KB`, "SQL_STORE_TOO_LARGE");
  }
  sqls.set(sqlId, sql);
}

function argsInvalid(detail) {
  return new StmtError(`Arguments do not match SQL parameters: ${detail}`, "ARGS_INVALID");
}

// sqld's binding rules (Params::bind): positional arguments serve `?` and
// `?NNN`; named arguments serve `:a`/`@a`/`$a`, looked up with and then without
// the prefix; a missing value or a surplus argument is an error. The result is
// the argument list better-sqlite3 expects: nameless values in order, then one
// object keyed by bare names (and by NNN for `?NNN`).
function bindArguments(sql, stmt, isExplain) {
  if (stmt.args.length > 0 && stmt.namedArgs.length > 0) {
    throw new StmtError("Specifying both positional and named arguments is not supported",
      "ARGS_BOTH_POSITIONAL_AND_NAMED");
  }
  const named = new Map(stmt.namedArgs.map((a) => [a.name, a.value]));
  const positionalMode = stmt.namedArgs.length === 0;
  const params = sqlParameters(sql);
  const given = positionalMode ? stmt.args.length : named.size;
  if (given > params.length) {
    throw argsInvalid(`too many parameters, expected ${params.length} found ${given}`);
  }
  const nameless = [];
  const keyed = {};
  let hasKeyed = false;
  for (let index = 1; index <= params.length; index++) {
    const name = params[index - 1];
    let value;
    let found = false;
    if (name === null || name.startsWith("?")) {
      const pos = name === null ? index : Number(name.slice(1));
      if (positionalMode && pos <= stmt.args.length) {
        value = stmt.args[pos - 1];
        found = true;
      }
    } else if (!positionalMode) {
      for (const key of [name, name.slice(1)]) {
        if (named.has(key)) { value = named.get(key); found = true; break; }
      }
    }
    if (!found) {
      // sqld leaves parameters of an EXPLAIN unbound; better-sqlite3 insists
      // on a value for each, and NULL is what SQLite uses for unbound ones.
      if (!isExplain) throw argsInvalid(`value for parameter ${name ?? index} not found`);
      value = null;
    }
    if (name === null) nameless.push(value);
    else { keyed[name.slice(1)] = value; hasKeyed = true; }
  }
  return hasKeyed ? [...nameless, keyed] : nameless;
}

// Prepares a statement and its arguments. Throws StmtError (the request or
// step fails) or ProtocolError (the HTTP request fails).
export function prepareStmt(conn, stmt, sqls) {
  const sql = resolveSql(stmt.sql, stmt.sqlId, sqls);
  let statement;
  try {
    statement = conn.db.prepare(sql);
  } catch (err) {
    throw stmtErrorFrom(err);
  }
  const isExplain = firstKeyword(sql) === "EXPLAIN";
  const bindArgs = bindArguments(sql, stmt, isExplain);
  return { statement, bindArgs, wantRows: stmt.wantRows };
}

// Runs a prepared statement as a sequence of cursor entries (step_begin, then
// one `row` per row as SQLite produces it) and returns the step_end fields.
function* stepEntries(conn, prepared, stepIndex) {
  const { statement, wantRows, bindArgs } = prepared;
  const readonly = statement.readonly;
  const started = performance.now();
  let rowsRead = 0;
  let changes = 0n;
  let rowid = null;
  try {
    if (statement.reader) {
      const cols = statement.columns().map((c) => ({ name: c.name, decltype: c.type ?? null }));
      const before = readonly ? 0n : conn.totalChanges();
      const rows = statement.raw(true).iterate(...bindArgs);
      yield { type: "step_begin", step: stepIndex, cols };
      for (const row of rows) {
        rowsRead++;
        if (wantRows) yield { type: "row", row: row.map(encodeValue) };
      }
      if (!readonly) {
        // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE;
        // only trust it if this statement changed something.
        const last = conn.lastChange();
        changes = conn.totalChanges() === before ? 0n : last.changes;
        rowid = last.rowid;
      }
    } else {
      yield { type: "step_begin", step: stepIndex, cols: [] };
      const result = statement.run(...bindArgs);
      changes = BigInt(result.changes);
      rowid = result.lastInsertRowid;
    }
  } catch (err) {
    throw stmtErrorFrom(err);
  }
  const affected = readonly ? 0 : Number(changes);
  return {
    affected_row_count: affected,
    last_insert_rowid: readonly || rowid === null ? null : String(rowid),
    rows_read: rowsRead,
    rows_written: affected,
    query_duration_ms: performance.now() - started,
  };
}

function collectStep(entries) {
  let cols = [];
  const rows = [];
  for (;;) {
    const next = entries.next();
    if (next.done) return { cols, rows, ...next.value };
    if (next.value.type === "step_begin") cols = next.value.cols;
    else rows.push(next.value.row);
  }
}

export function executeStmt(conn, stmt, sqls) {
  const prepared = prepareStmt(conn, stmt, sqls);
  const { cols, rows, ...tail } = collectStep(stepEntries(conn, prepared, 0));
  return { cols, rows, affected_row_count: tail.affected_row_count,
    last_insert_rowid: tail.last_insert_rowid, replication_index: null,
    rows_read: tail.rows_read, rows_written: tail.rows_written,
    query_duration_ms: tail.query_duration_ms };
}

// sqld turns the whole batch into a program before running any step: SQL
// texts are resolved, conditions may only look back, and text its parser
// rejects fails the whole batch request. Statements are prepared here when
// possible; one that SQLite cannot prepare yet (say, its table is created by
// an earlier step) is prepared again when its turn comes.
export function compileBatch(conn, batch, sqls, version) {
  return batch.steps.map((step, stepIndex) => {
    checkCond(step.condition, stepIndex, version);
    const sql = resolveSql(step.stmt.sql, step.stmt.sqlId, sqls);
    const stmt = { ...step.stmt, sql, sqlId: null };
    let prepared = null;
    try {
      prepared = prepareStmt(conn, stmt, sqls);
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      if (err.code === "SQL_PARSE_ERROR" || err.code === "SQL_MANY_STATEMENTS" ||
          err.code === "SQL_NO_STATEMENT" || err.code === "ARGS_BOTH_POSITIONAL_AND_NAMED") {
        throw err;
      }
    }
    return { condition: step.condition, stmt, prepared };
  });
}

function checkCond(cond, stepIndex, version) {
  if (cond === null) return;
  switch (cond.type) {
    case "ok":
    case "error":
      if (cond.step >= stepIndex) throw new ProtocolError("Invalid reference to step in a batch condition");
      return;
    case "not":
      return checkCond(cond.cond, stepIndex, version);
    case "and":
    case "or":
      return cond.conds.forEach((c) => checkCond(c, stepIndex, version));
    case "is_autocommit":
      if (version < 3) {
        throw new ProtocolError(
          "BatchCond of type `is_autocommit` is only supported in protocol version hrana3 and higher");
      }
  }
}

function evalCond(cond, outcomes, conn) {
  switch (cond.type) {
    case "ok": return outcomes[cond.step] === "ok";
    case "error": return outcomes[cond.step] === "error";
    case "not": return !evalCond(cond.cond, outcomes, conn);
    case "and": return cond.conds.every((c) => evalCond(c, outcomes, conn));
    case "or": return cond.conds.some((c) => evalCond(c, outcomes, conn));
    case "is_autocommit": return conn.isAutocommit;
    default: return false;
  }
}

// sqld's StmtResult carries statistics that its cursor's step_end does not;
// a symbol key keeps them out of the JSON of a cursor entry.
const STEP_STATS = Symbol("step stats");

// Runs compiled steps, yielding cursor entries one at a time so a cursor can
// send each row as soon as SQLite produces it.
export function* batchEntries(conn, steps) {
  const outcomes = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (step.condition !== null && !evalCond(step.condition, outcomes, conn)) {
      outcomes.push("skipped");
      continue;
    }
    let prepared = step.prepared;
    if (prepared === null) {
      try {
        prepared = prepareStmt(conn, step.stmt, new Map());
      } catch (err) {
        outcomes.push("error");
        yield { type: "step_error", step: i, error: stmtErrorFrom(err).toHrana() };
        continue;
      }
    }
    let tail;
    try {
      tail = yield* stepEntries(conn, prepared, i);
    } catch (err) {
      outcomes.push("error");
      yield { type: "step_error", step: i, error: stmtErrorFrom(err).toHrana() };
      continue;
    }
    outcomes.push("ok");
    const { affected_row_count, last_insert_rowid, ...stats } = tail;
    yield { type: "step_end", affected_row_count, last_insert_rowid, [STEP_STATS]: stats };
  }
}

export function executeBatch(conn, batch, sqls, version) {
  const steps = compileBatch(conn, batch, sqls, version);
  const stepResults = steps.map(() => null);
  const stepErrors = steps.map(() => null);
  let current = null;
  for (const entry of batchEntries(conn, steps)) {
    switch (entry.type) {
      case "step_begin":
        current = { index: entry.step, result: { cols: entry.cols, rows: [] } };
        break;
      case "row":
        current.result.rows.push(entry.row);
        break;
      case "step_end": {
        stepResults[current.index] = {
          ...current.result,
          affected_row_count: entry.affected_row_count,
          last_insert_rowid: entry.last_insert_rowid,
          replication_index: null,
          ...entry[STEP_STATS],
        };
        current = null;
        break;
      }
      case "step_error":
        stepErrors[entry.step] = entry.error;
        current = null;
        break;
    }
  }
  return { step_results: stepResults, step_errors: stepErrors, replication_index: null };
}

// sqld parses the whole text before running any of it, so text it cannot
// parse runs nothing; SQLite's exec stops at the first failing statement.
export function executeSequence(conn, sql) {
  try {
    conn.db.exec(sql);
  } catch (err) {
    throw isParseFailure(err) ? parseError(err) : stmtErrorFrom(err);
  }
}

export function describeSql(conn, sql) {
  let statement;
  try {
    statement = conn.db.prepare(sql);
  } catch (err) {
    throw stmtErrorFrom(err);
  }
  return {
    params: sqlParameters(sql).map((name) => ({ name })),
    cols: statement.reader
      ? statement.columns().map((c) => ({ name: c.name, decltype: c.type ?? null }))
      : [],
    is_explain: firstKeyword(sql) === "EXPLAIN",
    is_readonly: statement.readonly,
  };
}
