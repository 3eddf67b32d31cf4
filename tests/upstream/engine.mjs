// The SQL engines the test upstream can run, behind better-sqlite3's interface
// (the one the executor is written against):
//  - "better-sqlite3" (default): SQLite 3.5x as better-sqlite3 ships it;
//  - "libsql": libSQL's own engine, the `libsql` npm binding (SQLite 3.45.1 with
//    libSQL's additions: vector search, ALTER COLUMN, RANDOM ROWID, foreign keys
//    on by default), so tests exercise libSQL SQL end to end as sqld runs it.
// The binding differs from better-sqlite3 where this file adapts it:
//  - it aborts the whole process when a boolean is bound: values are converted
//    first (Hrana has no boolean; a stray one becomes 0/1 as SQLite stores it);
//  - statements have no `readonly` flag: it is derived from the first keyword;
//  - `get()` ignores pluck mode, and arguments are bound as one list in
//    parameter order (see bindArgs).

import BetterSqlite3 from "better-sqlite3";
import Libsql from "libsql";
import { firstKeyword, sqlParameters, skipLiteral } from "./sql_params.mjs";

export const ENGINES = ["better-sqlite3", "libsql"];

function bindable(value) {
  if (typeof value === "boolean") return value ? 1n : 0n;
  return value;
}

// better-sqlite3's argument shapes (values of the nameless parameters, then
// possibly one object keyed by bare names) as one list in SQLite's parameter
// order: the binding panics (aborting the process) on an object when a
// parameter has no name, and on a list shorter than the parameters.
function bindArgs(params, args) {
  const last = args[args.length - 1];
  const named = last !== null && typeof last === "object" && !(last instanceof Uint8Array) ? last : null;
  const nameless = named ? args.slice(0, -1) : args;
  let next = 0;
  const list = params.map((name) => bindable((name === null ? nameless[next++] : named?.[name.slice(1)]) ?? null));
  // Surplus values stay: the binding reports them as SQLite would.
  return [[...list, ...nameless.slice(next).map(bindable)]];
}

// Statements that can write: everything but these (WITH may be followed by a
// write; it is judged by the keywords it contains).
const READ_ONLY_KEYWORDS = new Set(["SELECT", "VALUES", "EXPLAIN"]);

function isReadonly(sql) {
  const keyword = firstKeyword(sql);
  if (keyword === "WITH") return !/\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql);
  return READ_ONLY_KEYWORDS.has(keyword);
}

// True when `text` holds more than whitespace, comments and `;`.
function hasContent(text) {
  for (let j = 0; j < text.length;) {
    const past = skipLiteral(text, j);
    if (past !== j && (text[j] === "-" || text[j] === "/")) { j = past; continue; }
    if (/[\s;]/.test(text[j])) { j++; continue; }
    return true;
  }
  return false;
}

// better-sqlite3 refuses a text of several statements, or of none (sqld
// answers SQL_MANY_STATEMENTS, SQL_NO_STATEMENT); the libsql binding silently
// prepares the first one, or fails when stepping. So look for text after the
// first top-level `;` (a trigger body holds `;`s of its own: CREATE TRIGGER
// texts are left to the engine).
function checkOneStatement(sql) {
  if (!hasContent(sql)) throw new RangeError("The supplied SQL string contains no statements");
  if (/^\s*CREATE\s+(TEMP\s+|TEMPORARY\s+)?TRIGGER\b/i.test(sql)) return;
  for (let i = 0; i < sql.length;) {
    const skipped = skipLiteral(sql, i);
    if (skipped !== i) { i = skipped; continue; }
    if (sql[i] === ";") {
      if (hasContent(sql.slice(i + 1))) {
        throw new RangeError("The supplied SQL string contains more than one statement");
      }
      return;
    }
    i++;
  }
}

class LibsqlStatement {
  constructor(inner, sql) {
    this.inner = inner;
    this.readonly = isReadonly(sql);
    this.params = sqlParameters(sql);
    this.pluckMode = false;
  }

  get reader() { return this.inner.reader; }
  columns() { return this.inner.columns(); }
  raw(toggle = true) { this.inner.raw(toggle); return this; }
  pluck(toggle = true) { this.pluckMode = toggle; if (toggle) this.inner.raw(true); return this; }
  run(...args) { return this.inner.run(...bindArgs(this.params, args)); }
  iterate(...args) { return this.inner.iterate(...bindArgs(this.params, args)); }
  get(...args) {
    const row = this.inner.get(...bindArgs(this.params, args));
    return this.pluckMode && row !== undefined ? row[0] : row;
  }
}

class LibsqlDatabase {
  constructor(path) {
    this.db = new Libsql(path);
  }

  get open() { return this.db.open; }
  get inTransaction() { return this.db.inTransaction; }
  defaultSafeIntegers(toggle) { this.db.defaultSafeIntegers(toggle); return this; }
  prepare(sql) {
    const statement = new LibsqlStatement(this.db.prepare(sql), sql);
    checkOneStatement(sql);
    return statement;
  }
  exec(sql) { this.db.exec(sql); }
  pragma(source) { this.db.exec(`PRAGMA ${source}`); }
  close() { this.db.close(); }
}

export function checkEngine(engine) {
  if (!ENGINES.includes(engine)) throw new Error(`--engine: one of ${ENGINES.join(", ")}, not ${engine}`);
  return engine;
}

export function openDatabase(path, engine = "better-sqlite3") {
  return checkEngine(engine) === "libsql" ? new LibsqlDatabase(path) : new BetterSqlite3(path);
}
