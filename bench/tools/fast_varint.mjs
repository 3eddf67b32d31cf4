// Protobuf varints on plain numbers (up to 2^53), for the WebSocket benchmark's
// hot paths: tests/upstream/protobuf_wire.mjs is exact to 64 bits but works in
// BigInt, which would make the benchmark's own client and fixed upstream the
// bottleneck. Only request ids, lengths and field keys go through here.

// The bytes of `value`'s varint.
export function varint(value) {
  const out = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

// [value, position after it] of the varint at `pos` of `buf`.
export function readVarint(buf, pos) {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = buf[pos++];
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
}
