// The adjudication of a beat task: a disagreement's time moves the viewer there (a few
// seconds around the beat), so the adjudicator sees every annotator's set at that beat.

const AROUND = 2.5; // s each side

const viewer = () => document.querySelector(".wt-viewer")?.wtViewer;

for (const button of document.querySelectorAll("button.go-to[data-time]")) {
  button.addEventListener("click", () => {
    const t = Number(button.dataset.time);
    const v = viewer();
    if (!v || !Number.isFinite(t)) return;
    v.goTo(t - AROUND, t + AROUND);
    for (const row of document.querySelectorAll("tr.current")) row.classList.remove("current");
    button.closest("tr")?.classList.add("current");
  });
}
