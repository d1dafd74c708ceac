// The action bar sticks to the bottom of the window, over the form: whatever is scrolled
// or tabbed to must land above it, never under it (a text box under the bar cannot be
// read while typing in it).

const MARGIN = 8; // px between a box and the bar

export function keepClearOfBar(form) {
  const bar = form.querySelector(".task-actions");
  if (!bar) return { detach() {} };
  // Scrolling to an element (scrollIntoView, a link to a field) leaves the bar's height.
  const pad = () =>
    document.documentElement.style.setProperty(
      "scroll-padding-bottom",
      `${bar.offsetHeight + MARGIN}px`,
    );
  const observer = new ResizeObserver(pad);
  observer.observe(bar);
  pad();
  // Focus scrolls only as far as the window's edge: lift the box above the bar.
  form.addEventListener("focusin", (e) => {
    if (bar.contains(e.target)) return;
    const below = e.target.getBoundingClientRect().bottom - bar.getBoundingClientRect().top;
    if (below > 0) window.scrollBy(0, below + MARGIN);
  });
  // A bar taken off the page (the next task shown in place) must not set the padding.
  return { detach: () => observer.disconnect() };
}
