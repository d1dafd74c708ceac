// Mounting a viewer: mountViewer(element, config, options) -> viewer API.
// Each viewer owns its store and modules; nothing is global, so a page may hold several
// (an annotation page embeds the same component). Loading this module also mounts every
// `.wt-viewer[data-config]` on the page, the config read from the json_script element
// whose id data-config names; the API is then at element.wtViewer.

import { createActions } from "./actions.js";
import { createAnnotations } from "./annotations.js";
import { createBeatEditor } from "./beat-editor.js";
import { createCalipers } from "./calipers.js";
import { createChannelLabels } from "./channels.js";
import { createCursorLayer, cursorTime } from "./cursor.js";
import { buildSkeleton } from "./dom.js";
import { eventLayer } from "./event-line.js";
import { attachGestures } from "./gestures.js";
import { attachKeyboard, createHelp } from "./keyboard.js";
import { createLoading } from "./loading.js";
import { createOverview } from "./overview.js";
import { createRenderer } from "./render.js";
import { saveScreenshot } from "./screenshot.js";
import { createSetLanes } from "./set-lanes.js";
import { createSeries } from "./series.js";
import { createSettingsPanel } from "./settings-panel.js";
import { clampView, createStore, initialState, openingView } from "./state.js";
import { createTileLoader, planTiles } from "./tiles.js";
import { createToolbar } from "./toolbar.js";
import { signalLayer } from "./traces.js";
import { setVocabulary } from "./vocabulary.js";
import { gettext, interpolate } from "./i18n.js";

const OVERVIEW_HEIGHT = 40;
const MESSAGE_MS = 8000;
const HOLD_MS = 400;

// Canvases are backed at most 2 device pixels per CSS pixel: on a 3x phone screen more
// would cost 2.25 times the pixels to fill for lines the eye cannot tell apart.
const canvasDpr = () => Math.min(2, window.devicePixelRatio || 1);

/**
 * Start fetching the tiles a viewer of `config` would show first on a plot of `plot`
 * ({width, dpr}, as a mounted viewer's store holds it): a page that knows what it shows
 * next passes the result to mountViewer as options.preloaded, and draws from memory.
 */
export function preloadWindow(config, plot) {
  const st = { ...initialState(config), plot };
  const loader = createTileLoader({ apiBase: st.api, record: st.record });
  const view = openingView(st);
  const plan = planTiles(view, plot.width * plot.dpr, st.record.duration, 1);
  loader.want(plan.list.slice(0, plan.urgent));
  return { loader };
}

/** The preloaded loader, now calling the viewer's callbacks; or a new one. */
function tileLoader(preloaded, args) {
  if (!preloaded) return createTileLoader(args);
  preloaded.loader.listen(args.onLoad, args.onError);
  return preloaded.loader;
}

/**
 * options: globalKeys (shortcuts also when nothing is focused; default true),
 * focus (focus the waveform once mounted; default false), height (px for the rows),
 * preloaded (what preloadWindow gave for this config).
 */
export function mountViewer(root, config, options = {}) {
  setVocabulary(config.vocabulary);
  const store = createStore(initialState(config));
  const st0 = store.get();
  const parts = buildSkeleton(root, st0.record);
  const hooks = {};
  const events = new Map();
  const emit = (name, value) => (events.get(name) || []).forEach((fn) => fn(value));
  function on(name, fn) {
    if (!events.has(name)) events.set(name, new Set());
    events.get(name).add(fn);
    return () => events.get(name).delete(fn);
  }
  let renderer = null;
  let editor = null;

  const loader = tileLoader(options.preloaded, {
    apiBase: st0.api,
    record: st0.record,
    onLoad: () => {
      if (!renderer) return;
      renderer.release();
      renderer.invalidate("traces");
    },
    onError: (error) =>
      store.set({
        message: interpolate(gettext("Could not load the signal: %(error)s"), {
          error: error.message,
        }),
      }),
  });
  const series = createSeries(loader, st0.record);
  // Measure and ask for the first tiles before building the rest of the viewer, so the
  // requests are on the wire while the toolbar and panels are made.
  createLoading(store, loader);
  measurePlot();
  const annotations = createAnnotations(store, () => renderer.invalidate("traces"));
  const calipers = createCalipers(store, parts.calipers);
  const actions = createActions(store, calipers, hooks);
  const toolbar = createToolbar(parts.toolbar, store, actions);
  const labels = createChannelLabels(parts.labels, actions);
  const overview = createOverview(store, parts.overview);
  const setLanes = createSetLanes(parts.plot, parts.plot, store, actions, annotations.colorOf);

  function available() {
    if (options.height) return options.height;
    const top = parts.plot.getBoundingClientRect().top + window.scrollY;
    const room = window.innerHeight - Math.min(top, window.innerHeight * 0.45) - 56;
    // A page may keep the plot shorter (a fraction of the window's height), e.g. so that
    // a form under it is within reach on a phone: --wt-plot-max: 0.3.
    const max = parseFloat(getComputedStyle(root).getPropertyValue("--wt-plot-max"));
    return Math.max(240, Number.isFinite(max) ? Math.min(room, window.innerHeight * max) : room);
  }

  renderer = createRenderer({
    store,
    plot: parts.plot,
    canvases: parts.canvases,
    series,
    available,
    onFrame(frame) {
      labels.update(frame);
      setLanes.update(frame);
      toolbar.sync(store.get(), frame);
      // An edit not yet answered by the server: the view is not settled.
      if (editor && editor.pending()) parts.plot.dataset.state = "saving";
      if (frame.complete) emit("ready", frame.view);
    },
  });

  hooks.frame = () => renderer.frame();
  hooks.closeMenus = () => toolbar.closeMenus();
  const drawCalipers = (ctx, frame, st) => calipers.draw(ctx, frame, st);
  hooks.screenshot = () =>
    saveScreenshot(store.get(), renderer.frame(), parts.canvases, drawCalipers);
  hooks.help = createHelp(root).toggle;
  hooks.settings = createSettingsPanel(root, store, (settings, names) => {
    if (names.includes("paper_speed")) actions.speed(settings.paper_speed);
    if (names.includes("grid")) store.set({ gridOn: settings.grid });
  }).toggle;

  if (config.beat_editor) {
    editor = createBeatEditor({
      root,
      store,
      plot: parts.plot,
      toolbar: parts.toolbar,
      renderer,
      fixedSet: config.edit_set || null,
    });
  }
  actions.beatEditor = () => editor && editor.toggle();

  // Each canvas draws its layers in the order added: the marks over the signals, the
  // cursor over everything. (Nothing is drawn before the renderer is released.)
  for (const layer of [signalLayer, annotations, eventLayer]) renderer.add("traces", layer);
  renderer.add("overlay", calipers);
  for (const layer of editor ? editor.layers : []) renderer.add("overlay", layer);
  const cursorLayer = createCursorLayer(() => calipers.labelBoxes());
  renderer.add("overlay", cursorLayer);
  const gestures = attachGestures({ store, plot: parts.plot, renderer, calipers });
  const keyboard = attachKeyboard(root, actions, options.globalKeys ?? true);

  let messageTimer = 0;
  const shownSignature = (channels) => channels.map((c) => (c.shown ? c.index : "-")).join();
  let signature = shownSignature(st0.channels);
  // Each shown set has a lane under the traces: showing or hiding one changes the layout.
  const laneSignature = (sets) => sets.map((s) => (s.shown ? s.id : "-")).join();
  let lanesShown = laneSignature(st0.sets);

  store.subscribe((st, changed) => {
    const has = (key) => changed.includes(key);
    if (has("view")) {
      renderer.viewMoved();
      emit("view", { ...st.view });
    }
    if (has("channels")) {
      const next = shownSignature(st.channels);
      if (next !== signature) renderer.invalidate("layout");
      signature = next;
    }
    if (has("sets") && laneSignature(st.sets) !== lanesShown) {
      lanesShown = laneSignature(st.sets);
      renderer.invalidate("layout");
    }
    if (has("layout") || has("plot") || has("settings")) renderer.invalidate("layout");
    if (has("gridOn")) renderer.invalidate("grid");
    if (has("filters") || has("sets") || has("channels")) renderer.invalidate("traces");
    if (has("dragging") && !st.dragging) renderer.invalidate("traces"); // back in place
    if (has("calipers") || has("cursor") || has("caliperMode")) renderer.invalidate("overlay");
    if (has("caliperMode") || has("gridOn") || has("layout") || has("filters"))
      toolbar.sync(st, renderer.frame());
    if (has("cursor")) emit("cursor", cursorTime(renderer.frame(), st.cursor));
    if (has("calipers")) emit("calipers", st.calipers);
    if (has("message") && st.message) {
      parts.message.textContent = st.message;
      clearTimeout(messageTimer);
      messageTimer = setTimeout(() => store.set({ message: "" }), MESSAGE_MS);
    } else if (has("message")) parts.message.textContent = "";
  });

  // The first measure also sets the opening view, in one change, so the first tiles
  // asked for are the ones shown. Later, a new width keeps the paper speed (the window
  // grows or shrinks) rather than squeezing the same seconds into fewer millimetres.
  function measurePlot() {
    const width = Math.floor(parts.plot.clientWidth);
    const dpr = canvasDpr();
    const st = store.get();
    if (width === st.plot.width && dpr === st.plot.dpr) return;
    const plot = { width, dpr };
    const next = { ...st, plot };
    let view = openingView(next);
    if (st.plot.width > 0) {
      const span = ((st.view.end - st.view.start) * width) / st.plot.width;
      view = clampView(next, st.view.start, st.view.start + span);
    }
    store.set({ plot, view });
  }
  function measure() {
    measurePlot();
    const o = parts.overview;
    const dpr = canvasDpr();
    overview.resize(Math.floor(o.clientWidth), o.clientHeight || OVERVIEW_HEIGHT, dpr);
  }
  measure();
  // Drawing waits for the first tile (or a moment): painting empty paper first would
  // only delay handling the data that is about to arrive.
  const holdTimer = setTimeout(() => renderer.release(), HOLD_MS);
  // Preloaded tiles already in memory announce nothing: draw them now.
  if (options.preloaded) renderer.release();
  // The overview and annotations wait for the first view, or a moment if it fails.
  const startTimer = setTimeout(startSecondary, 1500);
  function startSecondary() {
    clearTimeout(startTimer);
    offReady();
    overview.enable();
    annotations.enable();
  }
  const offReady = on("ready", startSecondary);
  const resizer = new ResizeObserver(() => measure());
  resizer.observe(parts.plot);
  const onWindowResize = () => renderer.invalidate("layout");
  window.addEventListener("resize", onWindowResize);
  if (options.focus) parts.plot.focus({ preventScroll: true });

  return {
    /** Show [start, end) seconds (clamped to the record). */
    goTo: (start, end) => actions.goTo(start, end),
    view: () => ({ ...store.get().view }),
    /** on("view" | "ready" | "cursor" | "calipers", fn) -> unsubscribe function. */
    on,
    /** Draw a layer ({draw(ctx, frame, state), idle(state)}) of the page's own on the
     * "traces" or "overlay" canvas, over the viewer's; -> remove(). See render.js. */
    addLayer: (canvas, layer) => renderer.add(canvas, layer),
    actions,
    store,
    stats: () => ({
      ...loader.stats(),
      drawMs: renderer.lastDrawMs(),
      slidFrames: renderer.slidFrames(),
    }),
    /** The edited set's rows with their x on the plot (beat editor). */
    beats: () => (editor ? editor.beats() : []),
    fiducials: () => (editor ? editor.fiducials() : []),
    /** The boxes (plot px) of the caliper labels and the cursor read-out as last drawn. */
    labelBoxes: () => ({ calipers: calipers.labelBoxes(), cursor: cursorLayer.boxes() }),
    /** The annotation sets' lanes as last drawn: [{name, label, color, y0, y1}] (plot px). */
    lanes: () => setLanes.lanes(renderer.frame()),
    /** y (plot px) of the middle of the rhythm-segment band, or null. */
    editorBand: () => (editor ? editor.band() : null),
    destroy() {
      clearTimeout(startTimer);
      clearTimeout(holdTimer);
      resizer.disconnect();
      window.removeEventListener("resize", onWindowResize);
      gestures.detach();
      if (editor) editor.detach();
      keyboard.detach();
      toolbar.detach();
      renderer.stop();
      loader.abortAll();
      annotations.abort();
      root.replaceChildren();
    },
  };
}

function mountAll() {
  for (const el of document.querySelectorAll(".wt-viewer[data-config]")) {
    if (el.wtViewer) continue;
    const source = document.getElementById(el.dataset.config);
    if (!source) continue;
    el.wtViewer = mountViewer(el, JSON.parse(source.textContent), {
      globalKeys: true,
      focus: true,
    });
  }
}

mountAll();
