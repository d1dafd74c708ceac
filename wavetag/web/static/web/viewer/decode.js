// Decoder of the window API's binary form (see the window endpoint's description):
//   "WTW2" | u32 LE header length | JSON header | data section
// Each channel holds `count` digital values of `dtype` per array (values; or min, max) at
// `offsets[i]` in the data section, `lengths[i]` bytes long, coded as `encoding`:
// "delta-varint" (each value minus the previous, zigzag-mapped, LEB128) or "raw".
// Values become Float32 physical units once, here, so drawing and filtering never
// convert again; invalid samples become NaN (a gap in the trace).

const TYPES = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};
const MAGIC = [0x57, 0x54, 0x57, 0x32]; // "WTW2"

function rawPhysical(buffer, byteOffset, head) {
  const Type = TYPES[head.dtype];
  if (!Type) throw new Error(`unknown dtype ${head.dtype}`);
  const { count, gain, baseline } = head;
  const invalid = head.invalid ?? null;
  const digital = new Type(buffer, byteOffset, count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const d = digital[i];
    out[i] = d === invalid ? NaN : (d - baseline) / gain;
  }
  return out;
}

// Arithmetic rather than bit operators: 32-bit samples have 33-bit zigzag deltas.
function varintPhysical(bytes, head) {
  const { count, gain, baseline } = head;
  const invalid = head.invalid ?? null;
  const out = new Float32Array(count);
  let pos = 0;
  let value = 0;
  for (let i = 0; i < count; i++) {
    let b = bytes[pos++];
    let zig = b & 0x7f;
    let scale = 128;
    while (b & 0x80) {
      b = bytes[pos++];
      zig += (b & 0x7f) * scale;
      scale *= 128;
    }
    value += zig % 2 ? -(zig + 1) / 2 : zig / 2;
    out[i] = value === invalid ? NaN : (value - baseline) / gain;
  }
  if (pos !== bytes.length) throw new Error("window arrays do not match their lengths");
  return out;
}

function physical(buffer, dataStart, head, i) {
  const start = dataStart + head.offsets[i];
  if (head.encoding === "raw") return rawPhysical(buffer, start, head);
  if (head.encoding !== "delta-varint") throw new Error(`unknown encoding ${head.encoding}`);
  return varintPhysical(new Uint8Array(buffer, start, head.lengths[i]), head);
}

/**
 * Decode one binary window into {start, end, channels: [{index, kind, t0, step, count,
 * values | min + max}]} with Float32Array physical values.
 */
export function decodeWindow(buffer) {
  const bytes = new Uint8Array(buffer, 0, 8);
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw new Error("not a WTW2 window");
  const headerLength = new DataView(buffer).getUint32(4, true);
  const text = new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength));
  const header = JSON.parse(text);
  const dataStart = 8 + headerLength;
  const channels = header.channels.map((head) => {
    const out = {
      index: head.index,
      kind: head.kind,
      t0: head.t0,
      step: head.step,
      count: head.count,
    };
    if (head.kind === "minmax") {
      out.min = physical(buffer, dataStart, head, 0);
      out.max = physical(buffer, dataStart, head, 1);
    } else {
      out.values = physical(buffer, dataStart, head, 0);
    }
    return out;
  });
  return { start: header.start, end: header.end, channels };
}

/** Bytes held by a decoded window, for the cache's budget. */
export function windowBytes(win) {
  let n = 256;
  for (const c of win.channels)
    n += (c.values ? c.values.byteLength : 0) + (c.min ? 2 * c.min.byteLength : 0);
  return n;
}
