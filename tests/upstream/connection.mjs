// One SQLite connection per Hrana stream, as in sqld, so interactive
// transactions are isolated per stream. All connections open the same file.

import { openDatabase } from "./engine.mjs";

export class SqlConnection {
  constructor(path, engine) {
    this.db = openDatabase(path, engine);
    this.db.defaultSafeIntegers(true);
    // better-sqlite3 blocks the event loop while it waits, and the connection
    // holding the lock lives in this same process: waiting could only time
    // out, so a locked database is reported at once (SQLITE_BUSY).
    this.db.pragma("busy_timeout = 0");
    this.totalChangesStmt = this.db.prepare("SELECT total_changes()").pluck(true);
    this.lastChangeStmt = this.db.prepare("SELECT changes(), last_insert_rowid()").raw(true);
  }

  get isAutocommit() {
    return !this.db.inTransaction;
  }

  totalChanges() {
    return this.totalChangesStmt.get();
  }

  lastChange() {
    const [changes, rowid] = this.lastChangeStmt.get();
    return { changes, rowid };
  }

  // Closing rolls back an open transaction, as when sqld drops a stream.
  close() {
    if (this.db.open) this.db.close();
  }
}
