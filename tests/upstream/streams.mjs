// Hrana-over-HTTP streams and their batons, with sqld's semantics:
//  - a baton names (stream id, sequence number) and carries an HMAC, so it
//    cannot be guessed or forged;
//  - every request that uses a stream advances its sequence number, so each
//    baton works once: a reused baton is rejected (400);
//  - a stream idle for `idleMs` expires; for `expiredRetainMs` afterwards its
//    batons get STREAM_EXPIRED (500) instead of "invalid baton" (400);
//  - a stream whose request failed at the HTTP level is dropped.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ProtocolError, StreamExpiredError } from "./errors.mjs";

const U64 = 2n ** 64n;

function invalidBaton(detail) {
  const err = new ProtocolError("Received an invalid baton", "BATON_INVALID");
  err.detail = detail;
  return err;
}

export class StreamRegistry {
  constructor({ openConnection, idleMs = 10_000, expiredRetainMs = 300_000 }) {
    this.openConnection = openConnection;
    this.idleMs = idleMs;
    this.expiredRetainMs = expiredRetainMs;
    this.key = randomBytes(32);
    this.streams = new Map();
  }

  mac(payload) {
    return createHmac("sha256", this.key).update(payload).digest();
  }

  encodeBaton(stream) {
    const payload = Buffer.alloc(16);
    payload.writeBigUInt64BE(stream.id, 0);
    payload.writeBigUInt64BE(stream.seq, 8);
    return Buffer.concat([payload, this.mac(payload)]).toString("base64").replace(/=+$/, "");
  }

  decodeBaton(baton) {
    if (!/^[A-Za-z0-9+/]+=*$/.test(baton)) throw invalidBaton("not base64");
    const data = Buffer.from(baton, "base64");
    if (data.length !== 48) throw invalidBaton(`baton has ${data.length} bytes`);
    const payload = data.subarray(0, 16);
    if (!timingSafeEqual(this.mac(payload), data.subarray(16))) throw invalidBaton("bad MAC");
    return { id: payload.readBigUInt64BE(0), seq: payload.readBigUInt64BE(8) };
  }

  // Returns the stream for `baton` (a new one for null), marked in use.
  async acquire(baton) {
    if (baton === null) return this.create();
    const { id, seq } = this.decodeBaton(baton);
    for (;;) {
      const stream = this.streams.get(id);
      if (stream === undefined) throw invalidBaton("unknown stream");
      if (stream.state === "expired") throw new StreamExpiredError();
      if (stream.seq !== seq) {
        throw new ProtocolError("Received a baton that has already been used", "BATON_REUSED");
      }
      if (stream.state === "acquired") {
        // Only a cursor keeps a stream busy across turns of the event loop. Its
        // baton was already sent to the client, which may use it before the
        // last row is written; sqld would make that request wait for the
        // connection, and so do we.
        if (stream.cursorDone === null) {
          throw new ProtocolError("Received a baton that has already been used", "BATON_REUSED");
        }
        await stream.cursorDone;
        continue;
      }
      stream.state = "acquired";
      stream.seq = (stream.seq + 1n) % U64;
      clearTimeout(stream.timer);
      stream.timer = null;
      return stream;
    }
  }

  create() {
    let id;
    do { id = randomBytes(8).readBigUInt64BE(0); } while (this.streams.has(id));
    const stream = {
      id,
      // A random first sequence number makes a collision of batons even less likely.
      seq: randomBytes(8).readBigUInt64BE(0),
      state: "acquired",
      conn: this.openConnection(),
      sqls: new Map(),
      timer: null,
      cursorDone: null,
    };
    this.streams.set(id, stream);
    return stream;
  }

  // The `close` request: the stream ends when the current HTTP request does.
  closeConnection(stream) {
    if (stream.conn) stream.conn.close();
    stream.conn = null;
  }

  // Ends the current request on the stream; returns the baton for the next
  // one, or null if the stream was closed.
  release(stream) {
    if (stream.conn === null) {
      this.streams.delete(stream.id);
      return null;
    }
    stream.state = "available";
    stream.cursorDone = null;
    this.armExpiry(stream);
    return this.encodeBaton(stream);
  }

  // The baton a cursor sends before it has finished with the stream.
  nextBaton(stream) {
    return stream.conn === null ? null : this.encodeBaton(stream);
  }

  drop(stream) {
    this.closeConnection(stream);
    clearTimeout(stream.timer);
    this.streams.delete(stream.id);
  }

  armExpiry(stream) {
    stream.timer = setTimeout(() => {
      if (stream.state !== "available") return;
      this.closeConnection(stream);
      stream.state = "expired";
      stream.timer = setTimeout(() => this.streams.delete(stream.id), this.expiredRetainMs);
      stream.timer.unref();
    }, this.idleMs);
    stream.timer.unref();
  }

  get size() {
    let open = 0;
    for (const s of this.streams.values()) if (s.state !== "expired") open++;
    return open;
  }

  closeAll() {
    for (const stream of this.streams.values()) {
      clearTimeout(stream.timer);
      this.closeConnection(stream);
    }
    this.streams.clear();
  }
}
