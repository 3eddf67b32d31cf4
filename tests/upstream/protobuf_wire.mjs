// The protobuf wire format, just as much of it as Hrana's schema uses: varints
// (int32, uint32, uint64, sint64 with zigzag, bool), fixed64 doubles and
// length-delimited fields (strings, bytes, nested messages). Written for the
// test upstream; the schema-level messages live in hrana_protobuf_*.mjs.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;


// A body or frame that is not valid protobuf for the schema; the caller turns
// it into its protocol error (HTTP 400, WebSocket close).
export class ProtobufError extends Error {
  constructor(message) {
    super(message);
    this.name = "ProtobufError";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class Reader {
  constructor(bytes) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }

  get done() {
    return this.pos >= this.buf.length;
  }

  // Up to 10 bytes, 7 bits each; a longer run cannot be a 64-bit value.
  varint() {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new ProtobufError("truncated varint");
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new ProtobufError("varint longer than 10 bytes");
  }

  take(length) {
    if (length > this.buf.length - this.pos) throw new ProtobufError("truncated field");
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  lengthDelimited() {
    const length = this.varint();
    if (length > BigInt(this.buf.length - this.pos)) throw new ProtobufError("length-delimited field runs past the end");
    return this.take(Number(length));
  }

  skip(wireType) {
    switch (wireType) {
      case WIRE_VARINT: this.varint(); return;
      case WIRE_FIXED64: this.take(8); return;
      case WIRE_LEN: this.lengthDelimited(); return;
      case WIRE_FIXED32: this.take(4); return;
      default: throw new ProtobufError(`unsupported wire type ${wireType}`);
    }
  }
}

// Scalar readers by schema type: [wire type, read(reader)].
const SCALARS = {
  int32: [WIRE_VARINT, (r) => Number(BigInt.asIntN(32, r.varint()))],
  uint32: [WIRE_VARINT, (r) => Number(BigInt.asUintN(32, r.varint()))],
  uint64: [WIRE_VARINT, (r) => r.varint()],
  sint64: [WIRE_VARINT, (r) => {
    const v = r.varint();
    return BigInt.asIntN(64, (v >> 1n) ^ -(v & 1n));
  }],
  bool: [WIRE_VARINT, (r) => r.varint() !== 0n],
  double: [WIRE_FIXED64, (r) => r.take(8).readDoubleLE(0)],
  string: [WIRE_LEN, (r) => {
    try {
      return utf8.decode(r.lengthDelimited());
    } catch (err) {
      if (err instanceof ProtobufError) throw err;
      throw new ProtobufError("string field is not valid UTF-8");
    }
  }],
  bytes: [WIRE_LEN, (r) => Buffer.from(r.lengthDelimited())],
};

// A message schema: `init` makes the defaults (proto3: an absent field has its
// zero value); `fields` maps a field number to [type, apply], where type is a
// scalar name or another schema (a nested message) and apply(msg, value)
// stores the value. Fields are filled in after creation so schemas can refer
// to each other and to themselves.
export function schema(init, fields = {}) {
  return { init, fields };
}

// Decodes one message. Unknown fields are skipped, as the spec requires; a
// known field with the wrong wire type is an error, as in prost.
export function decodeMessage(bytes, def) {
  const r = new Reader(bytes);
  const msg = def.init();
  while (!r.done) {
    const key = r.varint();
    const fieldNo = key >> 3n;
    const wireType = Number(key & 7n);
    if (fieldNo === 0n || fieldNo > 0x1fffffffn) throw new ProtobufError(`invalid field number ${fieldNo}`);
    const field = def.fields[Number(fieldNo)];
    if (field === undefined) {
      r.skip(wireType);
      continue;
    }
    const [type, apply] = field;
    if (typeof type === "string") {
      const [expected, read] = SCALARS[type];
      if (wireType !== expected) {
        throw new ProtobufError(`field ${fieldNo} has wire type ${wireType}, expected ${expected}`);
      }
      apply(msg, read(r));
    } else {
      if (wireType !== WIRE_LEN) throw new ProtobufError(`field ${fieldNo} has wire type ${wireType}, expected 2`);
      apply(msg, decodeMessage(r.lengthDelimited(), type));
    }
  }
  return msg;
}

function varintBytes(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

// Builds one message. Every method writes its field unconditionally; leaving
// out proto3 default values is the caller's choice (schema encoders do it).
export class Writer {
  constructor() {
    this.parts = [];
  }

  key(fieldNo, wireType) {
    this.parts.push(Buffer.from(varintBytes((BigInt(fieldNo) << 3n) | BigInt(wireType))));
  }

  varint(fieldNo, value) {
    this.key(fieldNo, WIRE_VARINT);
    this.parts.push(Buffer.from(varintBytes(value)));
    return this;
  }

  // Negative int32s are sign-extended to 64 bits (10 bytes), as protobuf does.
  int32(fieldNo, value) { return this.varint(fieldNo, BigInt.asUintN(64, BigInt(value))); }
  uint32(fieldNo, value) { return this.varint(fieldNo, value); }
  uint64(fieldNo, value) { return this.varint(fieldNo, value); }
  bool(fieldNo, value) { return this.varint(fieldNo, value ? 1 : 0); }

  sint64(fieldNo, value) {
    const v = BigInt.asIntN(64, BigInt(value));
    return this.varint(fieldNo, BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
  }

  double(fieldNo, value) {
    this.key(fieldNo, WIRE_FIXED64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value, 0);
    this.parts.push(b);
    return this;
  }

  bytes(fieldNo, value) {
    this.key(fieldNo, WIRE_LEN);
    this.parts.push(Buffer.from(varintBytes(value.length)), Buffer.from(value));
    return this;
  }

  string(fieldNo, value) {
    return this.bytes(fieldNo, Buffer.from(value, "utf8"));
  }

  // write(subWriter) fills the nested message.
  message(fieldNo, write) {
    const sub = new Writer();
    write(sub);
    return this.bytes(fieldNo, sub.finish());
  }

  finish() {
    return Buffer.concat(this.parts);
  }
}

// A length prefix for the cursor stream's length-delimited messages.
export function lengthPrefixed(message) {
  return Buffer.concat([Buffer.from(varintBytes(message.length)), message]);
}
