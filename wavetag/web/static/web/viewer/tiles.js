// Windows are fetched as tiles: level k has 2^k s per point and tiles of TILE_POINTS
// points aligned on multiples of their span, so a pan reuses tiles already held and a
// zoom step of 2 lands on the level above or below. A tile holds every channel.
// The loader keeps an LRU of decoded tiles, fetches the visible ones first, then the
// previous/next page and one level out (so a pan or a zoom-out draws from memory), and
// aborts requests that a newer view no longer wants.

import { fetchWindow, isAbort } from "./api.js";
import { windowBytes } from "./decode.js";

export const TILE_POINTS = 2048;
// Up to this many samples of a channel per tile (<= 16 a device pixel) come raw, so the
// display filters and exact samples are available at the usual paper speeds; above it
// the server's min/max buckets keep every QRS peak at a fraction of the bytes.
const RAW_LIMIT = 16384;
const CACHE_BYTES = 48 * 2 ** 20;
const MAX_IN_FLIGHT = 6; // the browser's per-host connection limit
const RETRY_MS = 5000;

export const tileSeconds = (k) => TILE_POINTS * 2 ** k;
export const tileKey = (k, i) => `${k}:${i}`;

/** The level whose point spacing is at most one device pixel of the view. */
export function levelFor(span, devicePx, duration) {
  const k = Math.floor(Math.log2(span / Math.max(devicePx, 1)));
  const top = Math.ceil(Math.log2(Math.max(duration, 1e-3) / TILE_POINTS));
  return Math.min(k, top);
}

/** Inclusive tile indices of level k meeting [a, b) within the record (i1 < i0: none). */
export function tileIndices(k, a, b, duration) {
  const span = tileSeconds(k);
  const last = Math.max(0, Math.ceil(duration / span) - 1);
  return [Math.max(0, Math.floor(a / span)), Math.min(last, Math.ceil(b / span) - 1)];
}

/** Tiles kept on each side of the view so forward-backward filters start settled. */
export function marginTiles(k) {
  return Math.min(4, Math.max(1, Math.ceil(4 / tileSeconds(k))));
}

class TileCache {
  constructor(budget) {
    this.budget = budget;
    this.bytes = 0;
    this.map = new Map();
  }
  has(key) {
    return this.map.has(key);
  }
  /** Get and mark as recently used. */
  get(key) {
    const tile = this.map.get(key);
    if (tile) {
      this.map.delete(key);
      this.map.set(key, tile);
    }
    return tile;
  }
  put(key, tile) {
    const old = this.map.get(key);
    if (old) this.bytes -= old.bytes;
    this.map.delete(key);
    this.map.set(key, tile);
    this.bytes += tile.bytes;
    for (const [old, t] of this.map) {
      if (this.bytes <= this.budget) break;
      this.map.delete(old);
      this.bytes -= t.bytes;
    }
  }
}

function range(k, a, b, duration, out, seen) {
  const [i0, i1] = tileIndices(k, a, b, duration);
  for (let i = i0; i <= i1; i++) {
    const key = tileKey(k, i);
    if (!seen.has(key)) {
      seen.add(key);
      out.push([k, i]);
    }
  }
}

/**
 * Tiles wanted for a view, most urgent first: visible (from the centre out), the
 * filter margin, the page in the direction of travel, the other page, one level out.
 */
export function planTiles(view, devicePx, duration, direction = 1) {
  const span = view.end - view.start;
  const k = levelFor(span, devicePx, duration);
  const T = tileSeconds(k);
  const list = [];
  const seen = new Set();
  const mid = (view.start + view.end) / 2;
  const [i0, i1] = tileIndices(k, view.start, view.end, duration);
  const visible = [];
  for (let i = i0; i <= i1; i++) visible.push(i);
  visible.sort((a, b) => Math.abs((a + 0.5) * T - mid) - Math.abs((b + 0.5) * T - mid));
  for (const i of visible) {
    seen.add(tileKey(k, i));
    list.push([k, i]);
  }
  const m = marginTiles(k) * T;
  range(k, view.start - m, view.end + m, duration, list, seen);
  const next = () => range(k, view.end, view.end + span, duration, list, seen);
  const prev = () => range(k, view.start - span, view.start, duration, list, seen);
  if (direction < 0) {
    prev();
    next();
  } else {
    next();
    prev();
  }
  range(k + 1, mid - span, mid + span, duration, list, seen);
  return { k, visible: [i0, i1], list, urgent: visible.length };
}

/**
 * The loader of one record's tiles; onLoad(k, i) after each tile arrives. A loader may
 * start before its viewer (a page fetching the next record's first window) and be handed
 * over to it: listen() then sets the viewer's own callbacks.
 */
export function createTileLoader({ apiBase, record, onLoad = () => {}, onError = () => {} }) {
  const cache = new TileCache(CACHE_BYTES);
  const maxFs = Math.max(...record.channels.map((c) => c.fs));
  const inFlight = new Map();
  const failed = new Map();
  let queue = [];
  let urgent = new Set();

  function params(k, i) {
    const T = tileSeconds(k);
    const start = i * T;
    const end = Math.min((i + 1) * T, record.duration);
    const samples = Math.ceil((end - start) * maxFs) + 1;
    return { start, end, max_points: samples <= RAW_LIMIT ? samples : TILE_POINTS };
  }

  async function load(k, i) {
    const key = tileKey(k, i);
    const controller = new AbortController();
    inFlight.set(key, controller);
    try {
      const p = params(k, i);
      const win = await fetchWindow(apiBase, record.id, p, controller.signal);
      const channels = [];
      for (const c of win.channels) channels[c.index] = c;
      cache.put(key, { k, i, start: p.start, end: p.end, channels, bytes: windowBytes(win) });
      onLoad(k, i);
    } catch (error) {
      if (!isAbort(error)) {
        failed.set(key, performance.now());
        onError(error);
      }
    } finally {
      if (inFlight.get(key) === controller) inFlight.delete(key);
      pump();
    }
  }

  // Prefetches wait until the visible tiles are in: on a busy server they would only
  // slow down the tiles the user is waiting for.
  function pump() {
    for (const key of urgent) if (cache.has(key) || failed.has(key)) urgent.delete(key);
    while (inFlight.size < MAX_IN_FLIGHT && queue.length) {
      const [k, i] = queue[0];
      if (urgent.size && !urgent.has(tileKey(k, i))) break;
      queue.shift();
      load(k, i);
    }
  }

  /** New wish list, the first `nUrgent` on screen: abort what it dropped, queue the rest. */
  function want(list, nUrgent = list.length) {
    const keys = new Set(list.map(([k, i]) => tileKey(k, i)));
    urgent = new Set(list.slice(0, nUrgent).map(([k, i]) => tileKey(k, i)));
    for (const [key, controller] of inFlight) {
      if (!keys.has(key)) {
        inFlight.delete(key);
        controller.abort();
      }
    }
    const now = performance.now();
    queue = list.filter(([k, i]) => {
      const key = tileKey(k, i);
      if (cache.has(key) || inFlight.has(key)) return false;
      const when = failed.get(key);
      return when === undefined || now - when > RETRY_MS;
    });
    pump();
  }

  return {
    listen(load, error) {
      onLoad = load;
      onError = error;
    },
    want,
    get: (k, i) => cache.get(tileKey(k, i)),
    has: (k, i) => cache.has(tileKey(k, i)),
    pending: () => inFlight.size + queue.length,
    stats: () => ({ tiles: cache.map.size, bytes: cache.bytes, inFlight: inFlight.size }),
    abortAll: () => want([]),
  };
}
