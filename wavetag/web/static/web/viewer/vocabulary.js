// The WFDB vocabulary as the server sent it in the viewer's configuration (built from
// wavetag/signal/vocabulary.py): beat codes, rhythm labels and colours, the symbol of a
// rhythm change, the fiducial-point convention. It is held here rather than written out
// again, so a code added on the server reaches the editor, the marks and the lists at once.
// Every viewer on a page comes from the same server, so one copy serves them all; it is
// set when a viewer mounts, before any module asks for it.

let current = null;

/** Keep the configuration's `vocabulary` (see vocabulary.for_viewer on the server). */
export function setVocabulary(v) {
  if (!v || !v.beat_codes || !v.fiducials) {
    // A viewer drawing with guessed codes would mislabel beats: refuse to start instead.
    throw new Error("The viewer's configuration carries no vocabulary.");
  }
  current = {
    /** Codes an editor may put on a beat (beats plus the x and | marks). */
    beatCodes: new Set(v.beat_codes),
    /** Beat annotations proper: drawn as beat symbols when they come from a set. */
    beatSymbols: new Set(Object.keys(v.beats)),
    normalBeats: new Set(v.normal_beats),
    /** Code -> English name (vocabulary-names.js gives it in the page's language). */
    beatNames: { ...v.beats },
    rhythmNames: { ...v.rhythms },
    /** The labels a segment editor offers, in order. */
    commonRhythms: [...v.common_rhythms],
    /** Label (with its "(") -> colour; a label without one gets a colour of its own. */
    rhythmColors: { ...v.rhythm_colors },
    rhythmChange: v.rhythm_change,
    /** kind -> [WFDB symbol, num]. */
    fiducials: Object.fromEntries(Object.entries(v.fiducials).map(([k, c]) => [k, [...c]])),
    fiducialKinds: Object.keys(v.fiducials),
  };
}

export function vocabulary() {
  if (!current) throw new Error("The vocabulary is read before a viewer was mounted.");
  return current;
}
