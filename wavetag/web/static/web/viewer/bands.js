// Where the annotation bands lie on the beat panel, in one place: every module that draws
// a band or tests a pointer against one asks here, so two bands cannot be moved onto each
// other by an edit in one module only.
//
//   top of the panel      beat markers of the edited set (a box per beat)
//                         rhythm segments of the edited set
//   ...                   (the trace)
//                         fiducial handles of the selected beat, one row per kind
//   bottom of the panel   imported sets: a row per set's rhythm, then a row per set's beats,
//                         stacked upwards
//
// The edited set is drawn at the top and the imported sets at the bottom so that both can
// be read at once; the handles sit above the imported rows, away from the markers, so a QRS
// onset 40 ms before its R peak can still be grabbed.

const MARKER = { top: 3, height: 15, text: 11 }; // px below the panel's top
const SEGMENT = { top: 22, bottom: 36 };
const HANDLES_ABOVE_BOTTOM = 30; // px between the panel's bottom and the lowest handle row
export const HANDLE_ROW = 11; // px: one row of handles per kind, so close points do not overlap
const SET_ROW = 13; // px from one imported row to the next
const SET_ROW_HEIGHT = 12;
const SET_TEXT = 6.5; // px below a row's top: the middle of its text

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

/** Row `row` (0 at the bottom) of the imported sets: {y0, y1, text (y of its text's middle)}. */
export function setRowBand(panel, row) {
  const y0 = panel.y + panel.h - SET_ROW - row * SET_ROW;
  return { y0, y1: y0 + SET_ROW_HEIGHT, text: y0 + SET_TEXT };
}
