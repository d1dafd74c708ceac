// The standard 12-lead page: three rows of four columns (I aVR V1 V4 / II aVL V2 V5 /
// III aVF V3 V6), each column a successive quarter of the window, and lead II as a
// rhythm strip across the whole window underneath.

const GRID = [
  ["i", "avr", "v1", "v4"],
  ["ii", "avl", "v2", "v5"],
  ["iii", "avf", "v3", "v6"],
];
const RHYTHM = "ii";

/** name -> channel (in record order) when all twelve standard leads exist, else null. */
export function twelveLeads(channels) {
  const byName = new Map();
  for (const c of channels) {
    const name = c.name.trim().toLowerCase();
    if (!byName.has(name)) byName.set(name, c);
  }
  for (const row of GRID) for (const name of row) if (!byName.has(name)) return null;
  return byName;
}

/** Panels of the 3x4 + rhythm layout; hidden leads leave their cell empty. */
export function panels12(channels, width, rowHeight) {
  const leads = twelveLeads(channels);
  if (!leads) return [];
  const shown = new Map(channels.map((c) => [c.index, c]));
  const panels = [];
  const colWidth = width / 4;
  GRID.forEach((row, r) => {
    row.forEach((name, col) => {
      const chan = shown.get(leads.get(name).index);
      if (!chan.shown) return;
      panels.push({
        key: `${chan.index}:lead`,
        ch: chan.index,
        chan,
        role: "lead",
        x: col * colWidth,
        y: r * rowHeight,
        w: colWidth,
        h: rowHeight,
        col,
        cols: 4,
        fit: true,
      });
    });
  });
  const rhythm = shown.get(leads.get(RHYTHM).index);
  panels.push({
    key: `${rhythm.index}:rhythm`,
    ch: rhythm.index,
    chan: rhythm,
    role: "rhythm",
    x: 0,
    y: GRID.length * rowHeight,
    w: width,
    h: rowHeight,
    col: 0,
    cols: 1,
    fit: true,
  });
  return panels;
}

export const ROWS_12 = GRID.length + 1;
