// The human names of the vocabulary's codes in the page's language. The server sends the
// English names (wavetag/signal/vocabulary.py, which knows nothing of languages); they are
// marked here so that the catalogue holds them, and looked up when shown. A code added on
// the server without a line here shows its English name until one is written.
// The codes themselves (N, V, (AFIB ...) are never translated.

import { gettext, gettext_noop } from "./i18n.js";
import { vocabulary } from "./vocabulary.js";

// prettier-ignore
export const NAMES = [
  gettext_noop("Normal beat"),
  gettext_noop("Left bundle branch block beat"),
  gettext_noop("Right bundle branch block beat"),
  gettext_noop("Bundle branch block beat (unspecified)"),
  gettext_noop("Atrial premature beat"),
  gettext_noop("Aberrated atrial premature beat"),
  gettext_noop("Nodal (junctional) premature beat"),
  gettext_noop("Supraventricular premature or ectopic beat"),
  gettext_noop("Premature ventricular contraction"),
  gettext_noop("R-on-T premature ventricular contraction"),
  gettext_noop("Fusion of ventricular and normal beat"),
  gettext_noop("Atrial escape beat"),
  gettext_noop("Nodal (junctional) escape beat"),
  gettext_noop("Supraventricular escape beat"),
  gettext_noop("Ventricular escape beat"),
  gettext_noop("Paced beat"),
  gettext_noop("Fusion of paced and normal beat"),
  gettext_noop("Unclassifiable beat"),
  gettext_noop("Beat not classified during learning"),
  gettext_noop("sinus rhythm"),
  gettext_noop("atrial fibrillation"),
  gettext_noop("atrial flutter"),
  gettext_noop("supraventricular tachyarrhythmia"),
  gettext_noop("ventricular tachycardia"),
  gettext_noop("ventricular bigeminy"),
  gettext_noop("ventricular trigeminy"),
  gettext_noop("sinus bradycardia"),
  gettext_noop("2° heart block"),
  gettext_noop("nodal (A-V junctional) rhythm"),
  gettext_noop("idioventricular rhythm"),
  gettext_noop("ventricular flutter"),
  gettext_noop("pre-excitation (WPW)"),
  gettext_noop("paced rhythm"),
  gettext_noop("atrial bigeminy"),
  gettext_noop("1° heart block"),
  gettext_noop("pacemaker rhythm"),
  gettext_noop("noise"),
];

// The two marks MIT-BIH puts on the beat stream, which have no name on the server.
const MARKS = {
  x: gettext_noop("Non-conducted P wave"),
  "|": gettext_noop("Isolated QRS-like artifact"),
};

/** "Premature ventricular contraction" (translated) for "V"; "" for an unknown code. */
export function beatName(code) {
  const name = vocabulary().beatNames[code] || MARKS[code];
  return name ? gettext(name) : "";
}

/** "atrial fibrillation" (translated) for "(AFIB"; "" for an unknown label. */
export function rhythmName(label) {
  const name = vocabulary().rhythmNames[label];
  return name ? gettext(name) : "";
}

// Where an annotation set comes from (AnnotationSet.Origin on the server).
const ORIGINS = {
  reference: gettext_noop("reference"),
  machine: gettext_noop("machine"),
  human: gettext_noop("human"),
  automatic: gettext_noop("automatic"),
};

/** "reference" in the page's language; an origin not listed here as it is. */
export function originName(origin) {
  return ORIGINS[origin] ? gettext(ORIGINS[origin]) : origin;
}
