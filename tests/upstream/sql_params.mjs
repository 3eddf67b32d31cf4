// The parameters of one SQL statement, numbered as SQLite numbers them.
// better-sqlite3 exposes neither sqlite3_bind_parameter_name() nor binding by
// index, yet sqld's binding rules (and `describe`) are defined per index, so we
// find the parameters with a small scan that skips literals and comments the
// way SQLite's tokenizer does.

function isIdChar(c) {
  return /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80;
}

// Returns the index just past the quoted token or comment starting at i, or i
// if none starts there.
export function skipLiteral(sql, i) {
  const c = sql[i];
  if (c === "'" || c === '"' || c === "`") {
    let j = i + 1;
    for (;;) {
      if (j >= sql.length) return sql.length;
      if (sql[j] === c) {
        if (sql[j + 1] === c) { j += 2; continue; }
        return j + 1;
      }
      j++;
    }
  }
  if (c === "[") {
    const end = sql.indexOf("]", i + 1);
    return end < 0 ? sql.length : end + 1;
  }
  if (c === "-" && sql[i + 1] === "-") {
    const end = sql.indexOf("\n", i + 2);
    return end < 0 ? sql.length : end + 1;
  }
  if (c === "/" && sql[i + 1] === "*") {
    const end = sql.indexOf("*/", i + 2);
    return end < 0 ? sql.length : end + 2;
  }
  return i;
}

// Returns an array indexed from 0 for SQLite's parameter 1..N: the parameter's
// name (`?3`, `:a`, `@a`, `$a`) or null for a nameless `?` or an unused index.
export function sqlParameters(sql) {
  const names = [];
  const byName = new Map();
  let i = 0;
  while (i < sql.length) {
    const skipped = skipLiteral(sql, i);
    if (skipped !== i) { i = skipped; continue; }
    const c = sql[i];
    if (c === "?") {
      let j = i + 1;
      while (j < sql.length && sql[j] >= "0" && sql[j] <= "9") j++;
      if (j === i + 1) {
        names.push(null);
      } else {
        const name = sql.slice(i, j);
        const index = Number(sql.slice(i + 1, j));
        while (names.length < index) names.push(null);
        if (!byName.has(name)) {
          names[index - 1] = name;
          byName.set(name, index);
        }
      }
      i = j;
      continue;
    }
    if (c === ":" || c === "@" || c === "$") {
      let j = i + 1;
      while (j < sql.length && isIdChar(sql[j])) j++;
      if (j > i + 1) {
        const name = sql.slice(i, j);
        if (!byName.has(name)) {
          names.push(name);
          byName.set(name, names.length);
        }
      }
      i = j;
      continue;
    }
    if (isIdChar(c)) {
      // Skip whole words so `$` inside identifiers is not taken for a parameter.
      let j = i + 1;
      while (j < sql.length && isIdChar(sql[j])) j++;
      i = j;
      continue;
    }
    i++;
  }
  return names;
}

// The first keyword of the statement, upper-cased ("" if none).
export function firstKeyword(sql) {
  let i = 0;
  while (i < sql.length) {
    const skipped = skipLiteral(sql, i);
    if (skipped !== i && (sql[i] === "-" || sql[i] === "/")) { i = skipped; continue; }
    if (/\s/.test(sql[i])) { i++; continue; }
    break;
  }
  const m = /^[A-Za-z]+/.exec(sql.slice(i));
  return m ? m[0].toUpperCase() : "";
}
