// "Next / previous event" ([ and ]): the nearest mark worth a look in the shown annotation
// sets (a beat other than a normal one, a rhythm change, an alarm, a comment), asked of
// the server, since on a Holter it may be hours away, beyond anything loaded. The mark is
// put a third into the view, so that pressing again goes on from it.

import { getJson, query } from "./api.js";
import { clampView } from "./state.js";
import { gettext } from "./i18n.js";

const AT = 1 / 3;
const STEP = 0.001; // s: past the mark now shown

export function createEventNavigation(store) {
  const st = () => store.get();

  async function nearest(forward) {
    const s = st();
    const sets = s.sets.filter((x) => x.shown);
    if (!sets.length) {
      store.set({
        message: gettext("No annotation set shown: press a, or choose sets under Annotations."),
      });
      return;
    }
    const span = s.view.end - s.view.start;
    const here = s.view.start + span * AT;
    const bound = forward ? { start: here + STEP } : { end: here - STEP, order: "desc" };
    const found = await Promise.all(
      sets.map((x) =>
        getJson(
          `${s.api}/records/${s.record.id}/annotations?` +
            query({ set: x.name, events_only: true, limit: 1, ...bound }),
        ).then((body) => body.items[0] || null),
      ),
    );
    const times = found.filter(Boolean).map((a) => a.time);
    if (!times.length) {
      store.set({
        message: forward
          ? gettext("No event after this point.")
          : gettext("No event before this point."),
      });
      return;
    }
    const t = forward ? Math.min(...times) : Math.max(...times);
    store.set({ view: clampView(st(), t - span * AT, t + span * (1 - AT)) });
  }

  const run = (forward) =>
    nearest(forward).catch((error) => store.set({ message: `Events: ${error.message}` }));
  return { next: () => run(true), previous: () => run(false) };
}
