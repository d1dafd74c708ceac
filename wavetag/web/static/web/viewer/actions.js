// Every user action, by name, in one table that the toolbar, the keyboard and the
// embedding page's API all call: one behaviour per action however it is triggered.

import { createEventNavigation } from "./events.js";
import { fitFactors } from "./layout.js";
import { twelveLeads } from "./layout12.js";
import {
  clampView,
  openingView,
  panView,
  speedView,
  viewLimits,
  withChannel,
  zoomView,
} from "./state.js";
import { gettext } from "./i18n.js";

const GAIN_STEP = 2;

/** `hooks` is filled in later with {screenshot, settings, help, frame} by the mount. */
export function createActions(store, calipers, hooks) {
  const st = () => store.get();
  const go = (view) => store.set({ view });
  const span = () => st().view.end - st().view.start;
  const events = createEventNavigation(store);

  const actions = {
    zoomIn: () => go(zoomView(st(), 2)),
    zoomOut: () => go(zoomView(st(), 0.5)),
    zoomReset: () => go(speedView(st(), st().settings.paper_speed)),
    speed: (mmPerS) => go(speedView(st(), mmPerS)),
    panHalfBack: () => go(panView(st(), -span() / 2)),
    panHalfForward: () => go(panView(st(), span() / 2)),
    pageBack: () => go(panView(st(), -span())),
    pageForward: () => go(panView(st(), span())),
    home: () => go(clampView(st(), viewLimits(st()).lo, viewLimits(st()).lo + span())),
    end: () => go(clampView(st(), viewLimits(st()).hi - span(), viewLimits(st()).hi)),
    goTo: (start, end) => go(clampView(st(), start, end)),
    event() {
      if (st().event != null) go(openingView(st()));
    },
    nextEvent: () => events.next(),
    previousEvent: () => events.previous(),
    caliperMode: () => store.set({ caliperMode: !st().caliperMode }),
    addCaliper() {
      const frame = hooks.frame();
      if (frame) calipers.addCentred(frame);
    },
    removeCaliper: () => calipers.removeLast(),
    escape() {
      if (hooks.closeMenus && hooks.closeMenus()) return;
      calipers.clear();
      store.set({ caliperMode: false });
    },
    grid: () => store.set({ gridOn: !st().gridOn }),
    filters() {
      const f = st().filters;
      store.set({ filters: { ...f, on: !f.on } });
    },
    setFilters: (patch) => store.set({ filters: { ...st().filters, ...patch } }),
    layout() {
      if (!twelveLeads(st().channels)) {
        store.set({ message: gettext("The 3×4 layout needs the twelve standard leads.") });
        return;
      }
      store.set({ layout: st().layout === "12" ? "stack" : "12" });
    },
    /** Toggle the n-th channel of the record (1-based, record order). */
    channel(n) {
      const chan = st().record.channels[n - 1];
      if (!chan) return;
      const now = st().channels.find((c) => c.index === chan.index);
      store.set({ channels: withChannel(st(), chan.index, { shown: !now.shown }) });
    },
    show: (index, shown) => store.set({ channels: withChannel(st(), index, { shown }) }),
    gain(index, factor) {
      const now = st().channels.find((c) => c.index === index);
      const gain = Math.min(64, Math.max(1 / 64, now.gain * factor));
      store.set({ channels: withChannel(st(), index, { gain }) });
    },
    gainAll(factor) {
      const channels = st().channels.map((c) => ({
        ...c,
        gain: Math.min(64, Math.max(1 / 64, c.gain * factor)),
      }));
      store.set({ channels });
    },
    /** Lower the gain of each ECG lead whose trace leaves its lane, until it fits. */
    fitLanes() {
      const frame = hooks.frame();
      if (!frame) return;
      const factors = fitFactors(frame.panels);
      if (!factors.size) return;
      const channels = st().channels.map((c) =>
        factors.has(c.index)
          ? { ...c, gain: Math.max(1 / 64, c.gain * factors.get(c.index)) }
          : c,
      );
      store.set({ channels });
    },
    gainUp: () => actions.gainAll(GAIN_STEP),
    gainDown: () => actions.gainAll(1 / GAIN_STEP),
    /** Move a channel up (-1) or down (+1) among the channels. */
    move(index, by) {
      const list = [...st().channels];
      const at = list.findIndex((c) => c.index === index);
      const to = Math.min(list.length - 1, Math.max(0, at + by));
      if (to === at) return;
      const [chan] = list.splice(at, 1);
      list.splice(to, 0, chan);
      store.set({ channels: list });
    },
    annotations() {
      const sets = st().sets;
      const anyShown = sets.some((s) => s.shown);
      store.set({ sets: sets.map((s) => ({ ...s, shown: !anyShown })) });
    },
    showSet(name, shown) {
      store.set({ sets: st().sets.map((s) => (s.name === name ? { ...s, shown } : s)) });
    },
    screenshot: () => hooks.screenshot(),
    settings: () => hooks.settings(),
    help: () => hooks.help(),
  };
  return actions;
}
