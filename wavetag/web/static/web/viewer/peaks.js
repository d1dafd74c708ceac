// Where a click on a trace means a beat: the sample of largest deviation from the local
// mean within ±80 ms, from the raw samples the frame holds (zoomed out to min/max
// buckets there are no samples to search: the clicked time is kept).

const PEAK_WINDOW = 0.08; // s either side of the click

/** The time of the largest deviation from the local mean within ±80 ms of t. */
export function nearestPeak(frame, p, t) {
  const s = frame.series.get(p.ch);
  for (const piece of s ? s.pieces : []) {
    const d = piece.data;
    if (!d || d.kind !== "raw" || t < piece.from || t >= piece.to) continue;
    const j0 = Math.max(0, Math.round((t - PEAK_WINDOW - d.t0) / d.step));
    const j1 = Math.min(d.count - 1, Math.round((t + PEAK_WINDOW - d.t0) / d.step));
    let mean = 0;
    let n = 0;
    for (let j = j0; j <= j1; j++) {
      if (Number.isNaN(d.values[j])) continue;
      mean += d.values[j];
      n += 1;
    }
    if (!n) return t;
    mean /= n;
    let best = -1;
    let at = t;
    for (let j = j0; j <= j1; j++) {
      const dev = Math.abs(d.values[j] - mean);
      if (!(dev > best)) continue;
      best = dev;
      at = d.t0 + j * d.step;
    }
    return at;
  }
  return t;
}
