// The beat editor's drawings, as overlay layers (render.js): the markers of the edited
// set, its rhythm segments, the selected beat's fiducial handles and the span being
// selected. They are on the overlay so that dragging a beat or a handle, which redraws
// them at every pointer move, never redraws the traces.

import { beatPanel } from "./bands.js";
import { drawBeatMarkers } from "./beat-markers.js";
import { drawFiducials, fiducialHandles } from "./fiducials.js";
import { xOf } from "./layout.js";
import { drawSegments } from "./segments.js";

const SPAN_FILL = "rgba(13, 71, 161, 0.12)";

const editing = (st) => Boolean(st.editOn && st.editSet);

/** A layer drawing `draw(ctx, frame, st, beat panel)` while a set is edited. */
function onBeatPanel(draw) {
  return {
    draw(ctx, frame, st) {
      if (editing(st) && frame.panels.length) draw(ctx, frame, st, beatPanel(frame));
    },
    idle: (st) => !editing(st),
  };
}

/**
 * `editor`: {drag() -> the pointer's drag ({kind, moved, x0, x, ...}) or null,
 * soleBeat() -> the one selected beat or null}. The layers in the order they are drawn.
 */
export function createEditorLayers(editor) {
  const moved = (kind) => {
    const d = editor.drag();
    return d && d.moved && d.kind === kind ? d : null;
  };

  const markers = onBeatPanel((ctx, frame, st, bp) => {
    drawBeatMarkers(ctx, frame, bp, st.editRows, new Set(st.selection), moved("move"));
  });

  // A segment being drawn, or the one whose edge is dragged, shows as a draft over the band.
  const segments = onBeatPanel((ctx, frame, st, bp) => {
    const made = moved("segment");
    const edge = moved("segment-edge");
    let draft = null;
    if (made) draft = { x0: made.x0, x1: made.x };
    if (edge) draft = { x0: xOf(bp, edge.edge.other), x1: edge.x };
    drawSegments(ctx, bp, st.editRows, new Set(st.selection), draft);
  });

  const fiducials = onBeatPanel((ctx, frame, st, bp) => {
    const beat = editor.soleBeat();
    if (!beat) return;
    // A handle being dragged is drawn where the pointer holds it, not where it was.
    const d = editor.drag();
    const held = d && d.kind === "fiducial" ? { kind: d.handle.kind, time: d.time } : null;
    drawFiducials(ctx, bp, fiducialHandles(st.editRows, beat, bp), held);
  });

  const span = onBeatPanel((ctx, frame, st, bp) => {
    const box = moved("box");
    if (!box) return;
    ctx.save();
    ctx.fillStyle = SPAN_FILL;
    ctx.fillRect(Math.min(box.x0, box.x), bp.y, Math.abs(box.x - box.x0), frame.height);
    ctx.restore();
  });

  return [markers, segments, fiducials, span];
}
