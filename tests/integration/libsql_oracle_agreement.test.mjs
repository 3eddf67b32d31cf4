// The differential oracle's own generator against libSQL's engine (issue 24):
// 5,000 random statements over the oracle's schema (joins of every kind, CTEs,
// windows, sub-queries, RETURNING, upserts, table-valued functions, pragmas —
// tests/unit/policy/oracle_generator.cpp) are analysed by the gate's analyzer
// (policy_tests, LIBSQL_GATE_ORACLE_DUMP) and prepared by libSQL's engine (the
// `libsql` npm binding, the engine sqld runs). They must agree on which
// statements prepare: a statement libSQL prepares that the gate cannot analyse
// would be refused through the gate although the database runs it, and one the
// gate analyses that libSQL rejects means the gate's SQL is not libSQL's.
// Statements the gate refuses while compiling (a pragma outside the allowed list)
// say nothing about preparing and are counted apart; so are the known
// disagreements below. Measured: 9 of 5,000, all the one known class.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import Libsql from "libsql";
import { gateBinary } from "./gate_process.mjs";

const policyTests = resolve(dirname(gateBinary), "../tests/policy_tests");

// Disagreements whose cause is known and listed in docs/deviations.md ("libSQL's
// additions", SQLite version gap). Each names the exact shape it excuses.
const KNOWN = [
  {
    // SQLite 3.40.1 (the system SQLite the gate analyses with) cannot resolve the
    // rowid of a virtual table joined in UPDATE … FROM; libSQL's 3.45 can. The
    // gate refuses such statements (fails closed).
    name: "virtual-table rowid in UPDATE … FROM (SQLite 3.40)",
    matches: ({ sql, message }) => {
      const alias = /^no such column: (t\d+)\.rowid$/.exec(message ?? "")?.[1];
      return alias !== undefined && /\bUPDATE\b/.test(sql) && new RegExp(`\\bnotes AS ${alias}\\b`).test(sql);
    },
  },
];
const COUNT = Number(process.env.LIBSQL_GATE_ORACLE_DUMP_COUNT ?? 5000);

test(`the oracle's ${COUNT} generated statements: the gate prepares exactly what libSQL prepares`,
  { skip: !existsSync(policyTests) && `${policyTests} not built` }, () => {
    const dir = mkdtempSync(join(tmpdir(), "libsql-gate-oracle-"));
    try {
      const dump = join(dir, "statements.jsonl");
      execFileSync(policyTests, ["-tc=oracle: statements for the libSQL agreement check*"], {
        env: { ...process.env, LIBSQL_GATE_ORACLE_DUMP: dump, LIBSQL_GATE_ORACLE_DUMP_COUNT: String(COUNT) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const [head, ...lines] = readFileSync(dump, "utf8").trim().split("\n").map((l) => JSON.parse(l));
      assert.equal(lines.length, COUNT);
      const db = new Libsql(":memory:");
      try {
        db.exec(head.schema);
        const counts = { agree: 0, forbidden: 0, known: 0, libsqlOnly: 0, gateOnly: 0 };
        const examples = [];
        for (const { sql, gate, message } of lines) {
          if (gate === "forbidden") {
            counts.forbidden++;
            continue;
          }
          let libsqlError = null;
          try {
            db.prepare(sql);
          } catch (e) {
            libsqlError = e.message;
          }
          const gatePrepares = gate === "ok";
          if (gatePrepares === (libsqlError === null)) {
            counts.agree++;
          } else if (gatePrepares) {
            counts.gateOnly++;
            if (examples.length < 10) examples.push(`gate analyses, libSQL refuses (${libsqlError}): ${sql}`);
          } else if (KNOWN.some((k) => k.matches({ sql, message }))) {
            counts.known++;
          } else {
            counts.libsqlOnly++;
            if (examples.length < 10) examples.push(`libSQL prepares, gate refuses (${message}): ${sql}`);
          }
        }
        console.log(`oracle agreement: ${JSON.stringify(counts)}`);
        assert.ok(counts.agree > COUNT / 2, "most generated statements were compared");
        assert.deepEqual({ libsqlOnly: counts.libsqlOnly, gateOnly: counts.gateOnly }, { libsqlOnly: 0, gateOnly: 0 },
          examples.join("\n"));
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
