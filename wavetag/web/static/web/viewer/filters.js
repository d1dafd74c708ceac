// Display filters: second-order sections (RBJ cookbook) run forward then backward, so
// the result has zero phase: a QRS is not shifted and the ST segment keeps its shape
// as well as a 0.5 Hz high-pass allows. Only the drawn copy is filtered; stored and
// fetched samples stay untouched.

const BASELINE_HZ = 0.5;
const LOWPASS_HZ = 40;
const NOTCH_Q = 30; // about 1.7 Hz wide at 50 Hz: mains only, not the QRS
const BUTTERWORTH_Q = Math.SQRT1_2;

function design(type, f0, fs, q) {
  const w = (2 * Math.PI * f0) / fs;
  const cos = Math.cos(w);
  const alpha = Math.sin(w) / (2 * q);
  let b0, b1, b2;
  if (type === "lowpass") {
    b0 = (1 - cos) / 2;
    b1 = 1 - cos;
    b2 = b0;
  } else if (type === "highpass") {
    b0 = (1 + cos) / 2;
    b1 = -(1 + cos);
    b2 = b0;
  } else {
    b0 = 1;
    b1 = -2 * cos;
    b2 = 1;
  }
  const a0 = 1 + alpha;
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

/** The sections for the chosen filters at a sampling rate; those above Nyquist drop out. */
export function filterChain(filters, fs) {
  const chain = [];
  if (!filters.on) return chain;
  if (filters.highpass) chain.push(design("highpass", BASELINE_HZ, fs, BUTTERWORTH_Q));
  if (filters.notch && filters.notch < 0.45 * fs) {
    chain.push(design("notch", filters.notch, fs, NOTCH_Q));
  }
  if (filters.lowpass && LOWPASS_HZ < 0.45 * fs) {
    chain.push(design("lowpass", LOWPASS_HZ, fs, BUTTERWORTH_Q));
  }
  return chain;
}

/** A string that changes whenever the filtered output would. */
export function filterKey(filters) {
  if (!filters.on) return "off";
  return `${filters.highpass ? "h" : ""}${filters.notch || ""}${filters.lowpass ? "l" : ""}`;
}

export function filtersActive(filters) {
  return filters.on && (filters.highpass || filters.lowpass || Boolean(filters.notch));
}

// One pass of one section (transposed direct form II), started in the steady state of
// the first sample so the edge does not ring.
function pass(x, c, reverse) {
  const n = x.length;
  const { b0, b1, b2, a1, a2 } = c;
  let i = reverse ? n - 1 : 0;
  const di = reverse ? -1 : 1;
  const x0 = x[i];
  const y0 = (x0 * (b0 + b1 + b2)) / (1 + a1 + a2);
  let z1 = y0 - b0 * x0;
  let z2 = b2 * x0 - a2 * y0;
  for (let k = 0; k < n; k++, i += di) {
    const xi = x[i];
    const yi = b0 * xi + z1;
    z1 = b1 * xi - a1 * yi + z2;
    z2 = b2 * xi - a2 * yi;
    x[i] = yi;
  }
}

/**
 * Filter `values` (Float32Array) with `chain`, zero-phase, into a new Float32Array.
 * Gaps (NaN) are bridged by holding the last value while filtering and put back after.
 */
export function filterValues(values, chain) {
  const n = values.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  const x = new Float64Array(n);
  let last = NaN;
  for (let i = 0; i < n && Number.isNaN(last); i++) last = values[i];
  if (Number.isNaN(last)) {
    out.set(values);
    return out;
  }
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === v) last = v;
    x[i] = last;
  }
  for (const c of chain) pass(x, c, false);
  for (let j = chain.length - 1; j >= 0; j--) pass(x, chain[j], true);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    out[i] = v === v ? x[i] : NaN;
  }
  return out;
}
