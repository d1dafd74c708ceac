// Decoder of the window API's binary form (see the window endpoint's description):
//   "WTW1" | u32 LE header length | JSON header | data section
// Each channel holds `count` digital values of `dtype` at `offset` in the data section;
// for minmax, the max array follows the min array at the next 4-byte boundary.
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
const MAGIC = [0x57, 0x54, 0x57, 0x31]; // "WTW1"

function typedView(buffer, byteOffset, count, Type) {
  if (byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(buffer, byteOffset, count);
  // float64 arrays are only 4-byte aligned: copy to an aligned buffer.
  return new Type(buffer.slice(byteOffset, byteOffset + count * Type.BYTES_PER_ELEMENT));
}

function toPhysical(digital, head) {
  const out = new Float32Array(digital.length);
  const { gain, baseline } = head;
  const invalid = head.invalid ?? null;
  for (let i = 0; i < digital.length; i++) {
    const d = digital[i];
    out[i] = d === invalid ? NaN : (d - baseline) / gain;
  }
  return out;
}

/**
 * Decode one binary window into {start, end, channels: [{index, kind, t0, step, count,
 * values | min + max}]} with Float32Array physical values.
 */
export function decodeWindow(buffer) {
  const bytes = new Uint8Array(buffer, 0, 8);
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw new Error("not a WTW1 window");
  const headerLength = new DataView(buffer).getUint32(4, true);
  const text = new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength));
  const header = JSON.parse(text);
  const dataStart = 8 + headerLength;
  const channels = header.channels.map((head) => {
    const Type = TYPES[head.dtype];
    if (!Type) throw new Error(`unknown dtype ${head.dtype}`);
    const out = {
      index: head.index,
      kind: head.kind,
      t0: head.t0,
      step: head.step,
      count: head.count,
    };
    const first = typedView(buffer, dataStart + head.offset, head.count, Type);
    if (head.kind === "minmax") {
      const size = head.count * Type.BYTES_PER_ELEMENT;
      const second = dataStart + head.offset + Math.ceil(size / 4) * 4;
      out.min = toPhysical(first, head);
      out.max = toPhysical(typedView(buffer, second, head.count, Type), head);
    } else {
      out.values = toPhysical(first, head);
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
