// Week grid: click on empty time to create an hour-long event there, or drag to choose
// its start and end (snapped to 15 minutes). Opens the ordinary event form, pre-filled;
// the grid reads and works without this file ("New event", the day headings).
document.addEventListener("DOMContentLoaded", () => {
  const grid = document.querySelector(".week-grid[data-create-url]");
  if (!grid) return;
  const SNAP = 15;
  const DAY = 24 * 60;

  const minuteAt = (timeline, clientY) => {
    const box = timeline.getBoundingClientRect();
    const minute = ((clientY - box.top) / box.height) * DAY;
    return Math.max(0, Math.min(DAY, minute));
  };
  // A wall time on the grid's date, without an offset: the server reads it in the
  // user's zone. Date arithmetic in UTC keeps it a plain wall-clock sum.
  const wallTime = (date, minute) =>
    new Date(Date.parse(`${date}T00:00:00Z`) + minute * 60000).toISOString().slice(0, 16);

  let drag = null;
  grid.addEventListener("pointerdown", (event) => {
    const timeline = event.target.closest(".timeline");
    if (!timeline || event.target.closest("a") || event.button !== 0) return;
    const from = Math.floor(minuteAt(timeline, event.clientY) / SNAP) * SNAP;
    const ghost = document.createElement("div");
    ghost.className = "event ghost";
    ghost.setAttribute("aria-hidden", "true");
    timeline.append(ghost);
    drag = { timeline, ghost, from, to: from, pointer: event.pointerId, moved: false };
    timeline.setPointerCapture(event.pointerId);
    draw();
  });

  const range = () => {
    if (!drag.moved) return [drag.from, Math.min(DAY, drag.from + 60)];
    const lo = Math.min(drag.from, drag.to);
    const hi = Math.max(drag.from, drag.to);
    return [lo, Math.max(hi, lo + SNAP)];
  };
  const draw = () => {
    const [lo, hi] = range();
    drag.ghost.style.setProperty("--start", lo);
    drag.ghost.style.setProperty("--end", hi);
  };

  grid.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointer) return;
    const to = Math.round(minuteAt(drag.timeline, event.clientY) / SNAP) * SNAP;
    if (to !== drag.from) drag.moved = true;
    drag.to = to;
    draw();
  });

  const finish = (event, create) => {
    if (!drag || event.pointerId !== drag.pointer) return;
    const [lo, hi] = range();
    const date = drag.timeline.dataset.date;
    drag.ghost.remove();
    drag = null;
    if (!create) return;
    const query = new URLSearchParams({ start: wallTime(date, lo), end: wallTime(date, hi) });
    window.location.assign(`${grid.dataset.createUrl}?${query}`);
  };
  grid.addEventListener("pointerup", (event) => finish(event, true));
  grid.addEventListener("pointercancel", (event) => finish(event, false));
});
