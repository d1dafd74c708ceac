// "Edit beats" mode: the beats of one human set as markers with their WFDB code.
//   click on the trace       add a beat at the nearest R peak (±80 ms) with the current code
//   click a marker           select it (Shift: add to the selection); drag it to move it
//   drag on empty trace      select the beats in the dragged span (Shift: add)
//   Alt+drag (trace, overview) draw a rhythm segment, then pick its label
//   a code key (N V A ...)   relabel the selection; with none, the code for new beats
//   Del / Backspace          delete the selection;  Shift+C  select the beat's cluster
//   Ctrl+Z                   undo the last edit;    Esc  clear the selection
// Handles of the selected beat's fiducial points can be dragged (fiducials.js). Pointer
// events are caught before the pan gestures while the mode is on; wheel zoom, keys and
// the overview still move the view. The marks are overlay layers (editor-layers.js).

import { beatPanel, segmentBand } from "./bands.js";
import { createBeatStore, isBeat } from "./beat-store.js";
import { CODE_KEYS, createEditorPanel } from "./editor-panel.js";
import { createEditorLayers } from "./editor-layers.js";
import { fiducialHandles, hitFiducial } from "./fiducials.js";
import { panelAt, timeOfX, xOf } from "./layout.js";
import { nearestPeak } from "./peaks.js";
import { hitSegment, hitSegmentEdge } from "./segments.js";
import { vocabulary } from "./vocabulary.js";
import { gettext, interpolate } from "./i18n.js";

const HIT_PX = 6;
const SLOP = 4;
const CODES = new Set(CODE_KEYS);
const WATCHED = [
  "editOn",
  "editSet",
  "editRows",
  "selection",
  "editCode",
  "editPending",
  "editStatus",
  "sets",
];

function kindOf(r) {
  if (isBeat(r)) return "beat";
  if (r.beat != null) return "fiducial";
  return r.symbol === vocabulary().rhythmChange ? "segment" : "other";
}

export function createBeatEditor({ root, store, plot, toolbar, renderer, fixedSet = null }) {
  const st = () => store.get();
  const beats = createBeatStore(store, () => renderer.invalidate("traces"));
  let drag = null; // {kind: move|box|segment|fiducial, ...}
  let labelsFor = null; // {start, end} of a segment being made, or {id} of a selected one
  let clusterPick = null; // {cluster, selection}: the selection Shift+C made

  const selected = () => new Set(st().selection);
  const select = (ids, extend = false) =>
    store.set({ selection: extend ? [...new Set([...st().selection, ...ids])] : ids });
  const fail = (error) =>
    store.set({
      message: interpolate(gettext("Beat editor: %(error)s"), { error: error.message }),
    });

  const panel = createEditorPanel(toolbar, store, {
    toggle,
    start: (from) => beats.start(from).catch(fail),
    open: (set) => beats.open(set).catch(fail),
    code,
    cluster: selectCluster,
    remove,
    undo: () => beats.undo(),
    label,
  });

  function toggle() {
    const on = !st().editOn;
    store.set({ editOn: on, selection: [] });
    labelsFor = null;
    if (on && !st().editSet) {
      const mine = st().sets.filter((s) => s.mine);
      if (mine.length === 1) beats.open(mine[0]).catch(fail);
    }
  }

  function beatAt(p, x) {
    let best = null;
    for (const r of beats.rows()) {
      if (!isBeat(r) || r.time < p.t0 || r.time > p.t1) continue;
      const d = Math.abs(xOf(p, r.time) - x);
      if (d <= HIT_PX && (!best || d < best.d)) best = { row: r, d };
    }
    return best && best.row;
  }

  function soleBeat() {
    const sel = st().selection;
    if (sel.length !== 1) return null;
    const row = beats.byId(sel[0]);
    return row && isBeat(row) ? row : null;
  }

  // -- actions -----------------------------------------------------------------------------
  // With a selection a code relabels it; with none it becomes the code of new beats.
  function code(c) {
    if (!st().selection.length) {
      store.set({ editCode: c });
      return;
    }
    // A whole cluster goes by its number: the server relabels beats not loaded here too.
    if (clusterPick && clusterPick.selection === st().selection) {
      beats.edit([{ op: "relabel", cluster: clusterPick.cluster, symbol: c }]);
      return;
    }
    const ids = st().selection.filter((id) => {
      const r = beats.byId(id);
      return r && isBeat(r) && r.symbol !== c;
    });
    if (ids.length) beats.edit([{ op: "relabel", ids, symbol: c }]);
  }

  function selectCluster() {
    const beat = soleBeat();
    if (!beat || beat.cluster == null) {
      store.set({ message: gettext("Select one beat that has a cluster first") });
      return;
    }
    const ids = beats.rows().filter((r) => isBeat(r) && r.cluster === beat.cluster);
    const selection = ids.map((r) => r.id);
    clusterPick = { cluster: beat.cluster, selection };
    store.set({ selection });
  }

  function remove() {
    const ops = st()
      .selection.filter((id) => beats.byId(id))
      .map((id) => ({ op: "delete", id }));
    store.set({ selection: [] });
    beats.edit(ops);
  }

  function label(l) {
    if (!labelsFor) return;
    if (labelsFor.id != null) beats.edit([{ op: "segment", id: labelsFor.id, label: l }]);
    else beats.edit([{ op: "segment", start: labelsFor.start, end: labelsFor.end, label: l }]);
    labelsFor = null;
    sync();
  }

  // -- pointer -------------------------------------------------------------------------------
  const local = (e) => {
    const r = plot.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };

  const overview = root.querySelector("[data-testid=overview]");
  const overviewTime = (e) => {
    const r = overview.getBoundingClientRect();
    const x = Math.min(Math.max(e.clientX - r.left, 0), r.width);
    return (x / r.width) * st().record.duration;
  };

  function onDown(e) {
    if (st().editOn && st().editSet && e.altKey && e.target === overview) {
      // Alt+drag on the overview: a segment over any stretch of the record.
      e.stopPropagation();
      e.preventDefault();
      overview.setPointerCapture(e.pointerId);
      const t = overviewTime(e);
      drag = { kind: "overview", t0: t, t, moved: false };
      return;
    }
    if (!st().editOn || !st().editSet || !plot.contains(e.target)) return;
    if (e.pointerType === "mouse" && e.button !== 0) return;
    const frame = renderer.frame();
    const p0 = local(e);
    const p = frame && panelAt(frame.panels, p0.x, p0.y);
    if (!p) return;
    e.stopPropagation();
    e.preventDefault();
    plot.setPointerCapture(e.pointerId);
    plot.focus({ preventScroll: true });
    const bp = beatPanel(frame);
    const beat = soleBeat();
    const handles = beat && p === bp ? fiducialHandles(beats.rows(), beat, bp) : null;
    const handle = handles && hitFiducial(handles, bp, p0.x, p0.y);
    const edge = !handle && p === bp && hitSegmentEdge(beats.rows(), bp, p0.x, p0.y);
    const seg = p === bp && hitSegment(beats.rows(), bp, p0.x, p0.y);
    const hit = !handle && !seg && beatAt(p, p0.x);
    let kind = "box";
    if (handle) kind = "fiducial";
    else if (edge) kind = "segment-edge";
    else if (e.altKey) kind = "segment";
    else if (seg) kind = "segment-select";
    else if (hit) kind = "move";
    drag = { kind, p, x0: p0.x, x: p0.x, moved: false, shift: e.shiftKey, hit, handle, seg, edge };
    if (handle) drag.time = handle.time;
  }

  function onMove(e) {
    if (!drag) return;
    e.stopPropagation();
    if (drag.kind === "overview") {
      drag.t = overviewTime(e);
      drag.moved = true;
      return;
    }
    const { x } = local(e);
    if (!drag.moved && Math.abs(x - drag.x0) < SLOP) return;
    drag.moved = true;
    drag.x = x;
    if (drag.kind === "fiducial") drag.time = timeOfX(drag.p, x);
    renderer.invalidate("overlay");
  }

  function onUp(e) {
    if (!drag) return;
    e.stopPropagation();
    const d = drag;
    drag = null;
    if (d.kind === "overview") {
      if (d.moved && Math.abs(d.t - d.t0) > 0) {
        const [a, b] = [d.t0, d.t].sort((u, v) => u - v);
        labelsFor = { start: a, end: b };
        sync();
      }
      return;
    }
    const frame = renderer.frame();
    const t = (x) => Math.min(st().record.duration, Math.max(0, timeOfX(d.p, x)));
    if (d.kind === "fiducial") {
      if (d.moved) {
        beats.edit([{ op: "fiducial", beat: soleBeat().id, kind: d.handle.kind, time: t(d.x) }]);
      }
    } else if (d.kind === "move") {
      if (d.moved) {
        beats.edit([{ op: "move", id: d.hit.id, time: nearestPeak(frame, d.p, t(d.x)) }]);
        select([d.hit.id]);
      } else if (d.shift && selected().has(d.hit.id)) {
        store.set({ selection: st().selection.filter((id) => id !== d.hit.id) });
      } else select([d.hit.id], d.shift);
    } else if (d.kind === "segment-edge") {
      // A dragged edge moves that end only; dragged past the other end, the two swap.
      const id = d.edge.row.id;
      if (d.moved) {
        const [a, b] = [t(d.x), d.edge.other].sort((u, v) => u - v);
        if (b > a) beats.edit([{ op: "segment", id, start: a, end: b }]);
      }
      // Selected (Del deletes it), without opening the label list: a click on it does.
      select([id]);
      labelsFor = null;
    } else if (d.kind === "segment-select") {
      select([d.seg.id]);
      labelsFor = { id: d.seg.id };
    } else if (d.kind === "segment") {
      if (d.moved) {
        const [a, b] = [t(d.x0), t(d.x)].sort((u, v) => u - v);
        labelsFor = { start: a, end: b };
      }
    } else if (d.moved) {
      const [a, b] = [t(d.x0), t(d.x)].sort((u, v) => u - v);
      const ids = beats.rows().filter((r) => isBeat(r) && r.time >= a && r.time <= b);
      select(
        ids.map((r) => r.id),
        d.shift,
      );
      labelsFor = null;
    } else {
      const time = nearestPeak(frame, d.p, t(d.x));
      beats.edit([{ op: "add", time, symbol: st().editCode }]);
      store.set({ selection: [] });
      labelsFor = null;
    }
    sync();
    renderer.invalidate("overlay");
  }

  const handlers = {
    pointerdown: onDown,
    pointermove: onMove,
    pointerup: onUp,
    pointercancel: onUp,
  };
  for (const [name, fn] of Object.entries(handlers)) root.addEventListener(name, fn, true);

  // -- keys ----------------------------------------------------------------------------------
  function onKey(e) {
    const t = e.target;
    const inside = root.contains(t) || t === document.body || t === document.documentElement;
    if (!inside || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName)) return;
    if (e.key === "b" && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      toggle();
      return;
    }
    if (!st().editOn || !st().editSet) return;
    let done = true;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") beats.undo();
    else if (e.ctrlKey || e.metaKey || e.altKey) done = false;
    else if (CODES.has(e.key)) code(e.key);
    else if (e.key === "Delete" || e.key === "Backspace") remove();
    else if (e.key === "C") selectCluster();
    else if (e.key === "Escape") store.set({ selection: [] });
    else done = false;
    if (done) e.preventDefault();
  }
  document.addEventListener("keydown", onKey, true);

  function sync() {
    panel.sync(st(), { labelsOpen: Boolean(labelsFor) });
  }

  store.subscribe((state, changed) => {
    const has = (k) => changed.includes(k);
    if (WATCHED.some(has)) {
      sync();
      renderer.invalidate("overlay");
    }
    if (has("editPending") || has("editSet")) renderer.invalidate("traces");
    if (has("editSet") && state.editSet) {
      // The set being edited is drawn by the editor's layers, not by the imported-sets one.
      const sets = state.sets.map((s) => (s.id === state.editSet.id ? { ...s, shown: false } : s));
      if (sets.some((s, i) => s.shown !== state.sets[i].shown)) store.set({ sets });
    }
  });
  sync();
  // A task page names the one set its annotator corrects: open it, with the editor on.
  if (fixedSet) {
    store.set({ editOn: true });
    beats.open(fixedSet).catch(fail);
  }

  /** Beats of the set with their x in plot pixels (null when not in view), for tests. */
  function list() {
    const frame = renderer.frame();
    const bp = frame && frame.panels.length ? beatPanel(frame) : null;
    const sel = selected();
    return beats.rows().map((r) => ({
      id: r.id,
      time: r.time,
      symbol: r.symbol,
      cluster: r.cluster ?? null,
      kind: kindOf(r),
      aux_note: r.aux_note,
      duration: r.duration,
      beat: r.beat ?? null,
      selected: sel.has(r.id),
      x: bp && r.time >= bp.t0 && r.time <= bp.t1 ? xOf(bp, r.time) : null,
    }));
  }

  return {
    /** The editor's marks, as layers for the overlay canvas (editor-layers.js). */
    layers: createEditorLayers({ drag: () => drag, soleBeat }),
    toggle,
    beats: list,
    fiducials() {
      const frame = renderer.frame();
      const beat = soleBeat();
      if (!frame || !beat) return [];
      const bp = beatPanel(frame);
      return fiducialHandles(beats.rows(), beat, bp);
    },
    band() {
      const frame = renderer.frame();
      if (!frame || !frame.panels.length) return null;
      const b = segmentBand(beatPanel(frame));
      return (b.y0 + b.y1) / 2;
    },
    pending: () => beats.pending() || st().editPending > 0,
    detach() {
      document.removeEventListener("keydown", onKey, true);
      for (const [name, fn] of Object.entries(handlers)) root.removeEventListener(name, fn, true);
    },
  };
}
