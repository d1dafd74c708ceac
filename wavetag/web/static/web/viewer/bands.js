// Where the annotation bands lie on the beat panel, in one place: every module that draws
// a band or tests a pointer against one asks here, so two bands cannot be moved onto each
// other by an edit in one module only.
//
//   top of the panel      beat markers of the edited set (a box per beat)
//                         rhythm segments of the edited set
//   ...                   (the trace)
//                         fiducial handles of the selected beat, one row per kind
//   under the traces      the shown sets' lanes, one per set: its rhythm on a thin strip at
//                         the top, its beat labels under it (laneBands)
//
// The edited set is drawn at the top of the panel and every other set in a lane of its own
// under all traces, so that several readers' labels never pile up over the QRS and each
// row can be named; the handles sit near the panel's bottom, away from the markers, so a
// QRS onset 40 ms before its R peak can still be grabbed.

const MARKER = { top: 3, height: 15, text: 11 }; // px below the panel's top
const SEGMENT = { top: 22, bottom: 36 };
const HANDLES_ABOVE_BOTTOM = 30; // px between the panel's bottom and the lowest handle row
export const HANDLE_ROW = 11; // px: one row of handles per kind, so close points do not overlap
export const LANE_HEIGHT = 26; // px per set's lane: an 11-px rhythm strip over the beats

/**
 * The panel annotation marks go on: the rhythm strip of a 12-lead page, else the top lead
 * (whose name is at the top left, clear of the bands).
 */
export function beatPanel(frame) {
  return frame.panels.find((p) => p.role === "rhythm") || frame.panels[0];
}

/** A beat marker's box: {y0, y1, text (y of its code's middle)}. */
export function markerBand(panel) {
  const y0 = panel.y + MARKER.top;
  return { y0, y1: y0 + MARKER.height, text: panel.y + MARKER.text };
}

/** The edited set's rhythm segments: {y0, y1}. */
export function segmentBand(panel) {
  return { y0: panel.y + SEGMENT.top, y1: panel.y + SEGMENT.bottom };
}

/** The fiducial handles, `rows` kinds high: {y0, y1}. */
export function fiducialBand(panel, rows) {
  const y1 = panel.y + panel.h - HANDLES_ABOVE_BOTTOM;
  return { y0: y1 - HANDLE_ROW * rows, y1 };
}

/** The parts of a lane ({y0, y1}): its rhythm strip and the middle of each text row. */
export function laneBands(lane) {
  return {
    rhythm: { y0: lane.y0 + 1, y1: lane.y0 + 11, text: lane.y0 + 6 },
    beats: { text: lane.y0 + 18 },
  };
}

/**
 * The lanes under panels `height` px high: one per shown set in the sets' order, the
 * colour fixed by the set's place among all sets so that hiding one recolours none.
 * `colorOf(index)` -> CSS colour.
 */
export function placeLanes(sets, height, colorOf) {
  const lanes = [];
  sets.forEach((set, index) => {
    if (!set.shown) return;
    const y0 = height + lanes.length * LANE_HEIGHT;
    lanes.push({ set, color: colorOf(index), y0, y1: y0 + LANE_HEIGHT });
  });
  return lanes;
}
