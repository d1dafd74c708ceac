// The working set being edited: its rows in the store, edits applied at once on screen
// and sent to the server in debounced batches (POST /annotation-sets/{id}/edits, all or
// nothing). After a batch the rows are read back, so the store shows what the server
// holds. Rows added here get a negative id until the server names them; an edit of such
// a row waits for that answer. Undo replays the inverse of the last edit.
//
// Store keys (declared in state.js): editSet {id, name} | null, editRows [row],
// editPending (edits not yet answered), editStatus ("" | "saving" | "saved" | error text).

import { getJson, query, sendJson } from "./api.js";
import { vocabulary } from "./vocabulary.js";
import { gettext, interpolate } from "./i18n.js";

const DEBOUNCE_MS = 250;
const UNDO_MAX = 100;
const REREAD_MAX = 600; // s: edits spread wider than this read the whole set back

export function fiducialKind(row) {
  for (const [kind, [symbol, num]] of Object.entries(vocabulary().fiducials)) {
    if (row.symbol === symbol && row.num === num) return kind;
  }
  return null;
}

const segmentOf = (row) => ({
  op: "segment",
  start: row.time,
  end: row.time + row.duration,
  label: row.aux_note,
});

export const isBeat = (row) => vocabulary().beatCodes.has(row.symbol) && row.beat == null;
export const isSegment = (row) => row.symbol === vocabulary().rhythmChange && row.duration > 0;

export function createBeatStore(store, onSaved) {
  const st = () => store.get();
  let queue = []; // ops not yet sent
  let inFlight = false;
  let timer = 0;
  let nextTemp = -1;
  const ids = new Map(); // temporary or replaced id -> id it stands for now
  const undoStack = [];
  let confirmed = []; // the rows as the server last sent them

  const resolve = (id) => {
    let seen = 0;
    while (ids.has(id) && seen++ < 1000) id = ids.get(id);
    return id;
  };
  const rows = () => st().editRows || [];
  const byId = (id) => rows().find((r) => r.id === resolve(id));
  const base = () => `${st().api}`;

  async function open(set, { unlessBusy = false } = {}) {
    const url = `${base()}/records/${st().record.id}/annotations?${query({ set: set.name })}`;
    const body = await getJson(url);
    // Edits made while the rows were on their way are shown already and not yet sent:
    // the next answer brings them.
    confirmed = body.items;
    if (unlessBusy && queue.length) return;
    store.set({ editSet: { id: body.set_id, name: body.set }, editRows: body.items });
  }

  async function start(from) {
    const body = from ? { from } : {};
    const url = `${base()}/records/${st().record.id}/annotation-sets`;
    const made = await sendJson("POST", url, body);
    const sets = [...st().sets, { ...made, shown: false, mine: true }];
    store.set({ sets });
    await open(made);
  }

  // -- local application: what the server will do, done at once on screen ----------------
  function local(op) {
    let list = rows();
    const fs = st().record.channels[0]?.fs || 1;
    if (op.op === "add") {
      const time = op.time ?? op.sample / fs;
      const row = { id: op.tempId, time, sample: Math.round(time * fs), symbol: op.symbol };
      list = [...list, { duration: 0, aux_note: "", chan: 0, num: 0, subtype: 0, ...row }];
    } else if (op.op === "move") {
      const id = resolve(op.id);
      const shift = op.time - list.find((r) => r.id === id).time;
      // A beat's fiducial points go with it, as on the server.
      list = list.map((r) =>
        r.id === id ? { ...r, time: op.time } : r.beat === id ? { ...r, time: r.time + shift } : r,
      );
    } else if (op.op === "delete") {
      const id = resolve(op.id);
      list = list.filter((r) => r.id !== id && r.beat !== id);
    } else if (op.op === "relabel") {
      const chosen = op.ids ? new Set(op.ids.map(resolve)) : null;
      list = list.map((r) =>
        isBeat(r) && (chosen ? chosen.has(r.id) : r.cluster === op.cluster)
          ? { ...r, symbol: op.symbol }
          : r,
      );
    } else if (op.op === "segment") {
      const id = op.id == null ? op.tempId : resolve(op.id);
      const old = list.find((r) => r.id === id);
      const start = op.start ?? old.time;
      const end = op.end ?? old.time + old.duration;
      const blank = { symbol: vocabulary().rhythmChange, chan: 0, num: 0, subtype: 0 };
      const seg = { ...(old || blank), id };
      seg.time = start;
      seg.duration = end - start;
      seg.aux_note = op.label ?? seg.aux_note;
      list = [...list.filter((r) => r.id !== id), seg];
    } else if (op.op === "fiducial") {
      const beat = resolve(op.beat);
      const [symbol, num] = vocabulary().fiducials[op.kind];
      const old = list.find((r) => r.beat === beat && r.symbol === symbol && r.num === num);
      list = list.filter((r) => r !== old);
      if (op.time != null) {
        const id = old ? old.id : op.tempId;
        list = [...list, { ...(old || {}), id, beat, symbol, num, time: op.time, duration: 0 }];
      }
    }
    list.sort((a, b) => a.time - b.time);
    store.set({ editRows: list });
  }

  // -- inverse of an op, from the rows as they are before it -----------------------------
  function inverse(op) {
    if (op.op === "add") return [{ op: "delete", id: op.tempId }];
    if (op.op === "move") return [{ op: "move", id: op.id, time: byId(op.id).time }];
    if (op.op === "delete") {
      const row = byId(op.id);
      if (isSegment(row)) return [{ ...segmentOf(row), revives: op.id }];
      if (!isBeat(row)) return [];
      return [{ op: "add", time: row.time, symbol: row.symbol, chan: row.chan, revives: op.id }];
    }
    if (op.op === "relabel") {
      const chosen = op.ids ? new Set(op.ids.map(resolve)) : null;
      const groups = new Map();
      for (const r of rows()) {
        if (!isBeat(r) || !(chosen ? chosen.has(r.id) : r.cluster === op.cluster)) continue;
        if (!groups.has(r.symbol)) groups.set(r.symbol, []);
        groups.get(r.symbol).push(r.id);
      }
      return [...groups].map(([symbol, list]) => ({ op: "relabel", ids: list, symbol }));
    }
    if (op.op === "segment") {
      if (op.id == null) return [{ op: "delete", id: op.tempId }];
      const old = byId(op.id);
      return [{ ...segmentOf(old), id: op.id }];
    }
    if (op.op === "fiducial") {
      const [symbol, num] = vocabulary().fiducials[op.kind];
      const beat = resolve(op.beat);
      const old = rows().find((r) => r.beat === beat && r.symbol === symbol && r.num === num);
      return [{ op: "fiducial", beat: op.beat, kind: op.kind, time: old ? old.time : null }];
    }
    return [];
  }

  function withTemp(op) {
    const needs = op.op === "add" || (op.op === "segment" && op.id == null) || op.op === "fiducial";
    return needs ? { ...op, tempId: nextTemp-- } : op;
  }

  /** Apply one edit (a list of ops) now, and queue it for the server. */
  function edit(ops, { undoable = true } = {}) {
    if (!st().editSet || !ops.length) return;
    const ready = ops.map(withTemp);
    const undo = [];
    for (const op of ready) {
      undo.unshift(...inverse(op));
      if (op.revives != null) ids.set(op.revives, op.tempId);
      op.span = timesOf(op);
      local(op);
    }
    if (undoable) {
      undoStack.push(undo);
      if (undoStack.length > UNDO_MAX) undoStack.shift();
    }
    queue.push(...ready);
    store.set({ editPending: queue.length + (inFlight ? 1 : 0), editStatus: "saving" });
    clearTimeout(timer);
    timer = setTimeout(flush, DEBOUNCE_MS);
  }

  function undo() {
    const ops = undoStack.pop();
    if (ops && ops.length) edit(ops, { undoable: false });
  }

  /** Seconds [lo, hi] an op touches (before it is applied); null: anywhere (a cluster). */
  function timesOf(op) {
    if (op.op === "relabel" && op.cluster != null) return null;
    const times = [op.time, op.start, op.end].filter((t) => t != null);
    for (const x of refs(op)) {
      const row = byId(x);
      if (row) times.push(row.time, row.time + (row.duration || 0));
    }
    return times.length ? [Math.min(...times), Math.max(...times)] : null;
  }

  const refs = (op) => [op.id, op.beat, ...(op.ids || [])].filter((x) => x != null);

  /** The ops for the server, with ids resolved; a ref to a row not yet named waits. */
  function nextBatch() {
    const batch = [];
    while (queue.length) {
      const op = queue[0];
      if (refs(op).some((x) => resolve(x) < 0)) {
        if (batch.length) break;
        // A row made by an op that failed is gone: drop what refers to it.
        queue.shift();
        continue;
      }
      queue.shift();
      batch.push(op);
    }
    return batch;
  }

  function wire(op) {
    const out = { ...op };
    delete out.tempId;
    delete out.revives;
    delete out.span;
    if (out.id != null) out.id = resolve(out.id);
    if (out.beat != null) out.beat = resolve(out.beat);
    if (out.ids) out.ids = out.ids.map(resolve);
    return out;
  }

  let touched; // seconds the answered batches touched since the rows were last read back
  const union = (a, b) => (a && b ? [Math.min(a[0], b[0]), Math.max(a[1], b[1])] : null);

  /** Read back the rows of [lo - 1, hi + 1] s only (a Holter has 100 000 beats). */
  async function reread(set, [lo, hi]) {
    const a = Math.max(0, lo - 1);
    const b = hi + 1;
    const params = query({ set: set.name, start: a, end: b });
    const body = await getJson(`${base()}/records/${st().record.id}/annotations?${params}`);
    const outside = (r) => r.time < a || r.time >= b;
    const merged = (list) =>
      [...list.filter(outside), ...body.items].sort((x, y) => x.time - y.time);
    confirmed = merged(confirmed);
    if (queue.length) return;
    store.set({ editRows: merged(rows()) });
  }

  async function flush() {
    timer = 0;
    if (inFlight || !queue.length) return;
    const batch = nextBatch();
    if (!batch.length) return finish();
    inFlight = true;
    const set = st().editSet;
    try {
      const url = `${base()}/annotation-sets/${set.id}/edits`;
      const body = await sendJson("POST", url, { edits: batch.map(wire) });
      batch.forEach((op, i) => {
        if (op.tempId != null && body.results[i].length) ids.set(op.tempId, body.results[i][0]);
      });
      inFlight = false;
      for (const op of batch) touched = touched === undefined ? op.span : union(touched, op.span);
      if (queue.length) return flush();
      const span = touched;
      touched = undefined;
      if (span && span[1] - span[0] <= REREAD_MAX) await reread(set, span);
      else await open(set, { unlessBusy: true });
      if (queue.length) return flush();
      finish("saved");
    } catch (error) {
      inFlight = false;
      queue = [];
      touched = undefined;
      undoStack.length = 0;
      store.set({
        message: interpolate(gettext("Edit not saved: %(error)s"), { error: error.message }),
      });
      try {
        await open(set);
      } catch {
        // The set cannot be read either: show it as the server last had it.
        store.set({ editRows: confirmed });
      }
      finish(`error: ${error.message}`);
    }
  }

  function finish(status = "saved") {
    store.set({ editPending: queue.length, editStatus: status });
    onSaved();
  }

  return {
    open,
    start,
    edit,
    undo,
    resolve,
    rows,
    byId,
    flushNow() {
      clearTimeout(timer);
      return flush();
    },
    pending: () => queue.length > 0 || inFlight || timer !== 0,
  };
}
