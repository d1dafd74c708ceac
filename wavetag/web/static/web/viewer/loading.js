// When to ask for tiles: at once for a settled view; during a drag or a wheel burst
// only once the gesture pauses, so a fling does not queue dozens of requests for views
// already left behind (the frames meanwhile draw from what is cached).

import { planTiles } from "./tiles.js";

const PAUSE_MS = 120;

export function createLoading(store, loader) {
  let timer = 0;
  let lastStart = null;
  let direction = 1;

  function plan() {
    timer = 0;
    const st = store.get();
    if (st.plot.width <= 0) return;
    const devicePx = st.plot.width * st.plot.dpr;
    const plan = planTiles(st.view, devicePx, st.record.duration, direction);
    loader.want(plan.list, plan.urgent);
  }

  store.subscribe((st, changed) => {
    if (changed.includes("view")) {
      if (lastStart !== null && st.view.start !== lastStart) {
        direction = st.view.start > lastStart ? 1 : -1;
      }
      lastStart = st.view.start;
    }
    if (changed.includes("view") || changed.includes("plot") || changed.includes("dragging")) {
      clearTimeout(timer);
      if (st.dragging) timer = setTimeout(plan, PAUSE_MS);
      else plan();
    }
  });

  return { plan };
}
