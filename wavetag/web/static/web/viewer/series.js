// What to draw for each channel over a time span, from the tiles at hand.
//
// A span is cut into pieces, one per tile of the wanted level; a missing tile is
// replaced by the two finer tiles or the nearest coarser one already cached, so a drag
// or a zoom never shows blank paper while the exact tile is on its way.
//
// Display filters apply to raw data only: the visible raw tiles plus a margin of
// neighbours are joined and filtered once, and the result is reused until the tiles or
// filters change. Min/max buckets are drawn unfiltered: an envelope's extremes cannot
// be band-limited after the fact, and at those zoom levels (>16 samples per pixel) the
// filters would not change what the eye sees; the toolbar says so when it happens.

import { filterChain, filterKey, filterValues, filtersActive } from "./filters.js";
import { marginTiles, tileIndices, tileSeconds } from "./tiles.js";

const COARSER_LEVELS = 8;
const FILTERED_ENTRIES = 48;

/** Index range [j0, j1) of samples (or buckets) that start within [from, to). */
export function indexSpan(data, from, to) {
  const a = (from - data.t0) / data.step;
  const b = (to - data.t0) / data.step;
  return [Math.max(0, Math.ceil(a - 1e-6)), Math.min(data.count, Math.ceil(b - 1e-6))];
}

export function createSeries(loader, record) {
  const duration = record.duration;
  const fsOf = new Map(record.channels.map((c) => [c.index, c.fs]));
  const filtered = new Map();

  function lastIndex(k) {
    return Math.max(0, Math.ceil(duration / tileSeconds(k)) - 1);
  }

  function findTiles(k, i) {
    const tile = loader.get(k, i);
    if (tile) return { tiles: [tile], exact: true };
    const a = loader.get(k - 1, 2 * i);
    if (a) {
      if (2 * i + 1 > lastIndex(k - 1)) return { tiles: [a], exact: false };
      const b = loader.get(k - 1, 2 * i + 1);
      if (b) return { tiles: [a, b], exact: false };
    }
    for (let d = 1; d <= COARSER_LEVELS; d++) {
      const t = loader.get(k + d, Math.floor(i / 2 ** d));
      if (t) return { tiles: [t], exact: false };
    }
    return null;
  }

  /** Pieces {tile, from, to} covering [a, b) at level k; complete when all are exact. */
  function coverage(k, a, b) {
    const T = tileSeconds(k);
    const [i0, i1] = tileIndices(k, a, b, duration);
    const pieces = [];
    let complete = true;
    for (let i = i0; i <= i1; i++) {
      const from = Math.max(a, i * T);
      const to = Math.min(b, (i + 1) * T);
      const found = findTiles(k, i);
      if (!found) {
        complete = false;
        pieces.push({ tile: null, from, to });
        continue;
      }
      if (!found.exact) complete = false;
      for (const tile of found.tiles) {
        const f = Math.max(from, tile.start);
        const e = Math.min(to, tile.end);
        if (e <= f) continue;
        const prev = pieces[pieces.length - 1];
        if (prev && prev.tile === tile && Math.abs(prev.to - f) < 1e-9) prev.to = e;
        else pieces.push({ tile, from: f, to: e });
      }
    }
    return { k, a, b, pieces, complete };
  }

  function rawAt(k, i, ch) {
    const tile = loader.get(k, i);
    return tile && tile.channels[ch] && tile.channels[ch].kind === "raw" ? tile : null;
  }

  // One filtered piece spanning the visible raw tiles and the margin at hand, or null
  // when some visible tile is missing or not raw (then the caller draws unfiltered).
  function filteredPiece(cov, ch, filters) {
    const { k, a, b } = cov;
    const [v0, v1] = tileIndices(k, a, b, duration);
    for (let i = v0; i <= v1; i++) if (!rawAt(k, i, ch)) return null;
    const m = marginTiles(k);
    let j0 = v0;
    while (j0 > Math.max(0, v0 - m) && rawAt(k, j0 - 1, ch)) j0--;
    let j1 = v1;
    const last = lastIndex(k);
    while (j1 < Math.min(last, v1 + m) && rawAt(k, j1 + 1, ch)) j1++;
    const key = `${ch}|${k}|${j0}|${j1}|${filterKey(filters)}`;
    let piece = filtered.get(key);
    if (piece) {
      filtered.delete(key);
      filtered.set(key, piece);
      return piece;
    }
    const parts = [];
    let n = 0;
    for (let i = j0; i <= j1; i++) {
      const data = loader.get(k, i).channels[ch];
      if (parts.length) {
        const prev = parts[parts.length - 1];
        const expected = prev.t0 + prev.count * prev.step;
        if (Math.abs(data.t0 - expected) > prev.step / 2) return null;
      }
      parts.push(data);
      n += data.count;
    }
    if (n === 0) return null;
    const joined = new Float32Array(n);
    let at = 0;
    for (const p of parts) {
      joined.set(p.values, at);
      at += p.count;
    }
    const values = filterValues(joined, filterChain(filters, fsOf.get(ch)));
    const first = parts[0];
    const T = tileSeconds(k);
    piece = {
      data: { kind: "raw", t0: first.t0, step: first.step, count: n, values },
      from: j0 * T,
      to: Math.min((j1 + 1) * T, duration),
    };
    filtered.set(key, piece);
    for (const old of filtered.keys()) {
      if (filtered.size <= FILTERED_ENTRIES) break;
      filtered.delete(old);
    }
    return piece;
  }

  /** Pieces {data, from, to} of one channel ({data: null} = no data) and whether filtered. */
  function channelPieces(cov, ch, filters) {
    if (filtersActive(filters)) {
      const piece = filteredPiece(cov, ch, filters);
      if (piece) return { pieces: [piece], filtered: true };
    }
    const pieces = cov.pieces.map((p) => ({
      data: p.tile ? p.tile.channels[ch] || null : null,
      from: p.from,
      to: p.to,
    }));
    return { pieces, filtered: false };
  }

  return { coverage, channelPieces };
}

/** Lowest and highest value of pieces within [t0, t1]; {lo: Infinity} when empty. */
export function dataRange(pieces, t0, t1) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of pieces) {
    const d = p.data;
    if (!d || d.count === 0) continue;
    const from = Math.max(p.from, t0 - (d.kind === "minmax" ? d.step : 0));
    const [j0, j1] = indexSpan(d, from, Math.min(p.to, t1));
    const a = d.kind === "raw" ? d.values : d.min;
    const z = d.kind === "raw" ? d.values : d.max;
    for (let j = j0; j < j1; j++) {
      const u = a[j];
      const v = z[j];
      if (u < lo) lo = u;
      if (v > hi) hi = v;
    }
  }
  return { lo, hi };
}

/** The value(s) at time t: {lo, hi} (equal for raw samples) or null where no data. */
export function valueAt(pieces, t) {
  for (const p of pieces) {
    const d = p.data;
    if (!d || t < p.from || t >= p.to || d.count === 0) continue;
    if (d.kind === "raw") {
      const j = Math.round((t - d.t0) / d.step);
      if (j < 0 || j >= d.count) return null;
      const v = d.values[j];
      return v === v ? { lo: v, hi: v } : null;
    }
    const j = Math.floor((t - d.t0) / d.step);
    if (j < 0 || j >= d.count) return null;
    const lo = d.min[j];
    return lo === lo ? { lo, hi: d.max[j] } : null;
  }
  return null;
}
