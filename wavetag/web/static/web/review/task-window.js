// A task without an event opens the viewer on the task's own window (a segment, or the
// whole record), not on the record's first seconds. The viewer mounts when its module
// loads, which module order guarantees has happened before this one runs.

for (const box of document.querySelectorAll(".task-viewer")) {
  const el = box.querySelector(".wt-viewer");
  if (!el || !el.wtViewer || box.dataset.event !== undefined) continue;
  const start = Number(box.dataset.windowStart);
  const end = Number(box.dataset.windowEnd);
  if (Number.isFinite(start) && Number.isFinite(end) && end > start) el.wtViewer.goTo(start, end);
}
