// Week and day grids: small enhancements; the pages read and work without this file.
(() => {
// The calendar's start page on a phone: today's day page, where a week of seven
// columns would be too narrow to read (the week stays one tap away).
if (window.matchMedia("(max-width: 480px)").matches) {
  document.addEventListener("DOMContentLoaded", () => {
    const week = document.querySelector("[data-phone-day-url]");
    if (week) window.location.replace(week.dataset.phoneDayUrl);
  });
}

// Shared by the two handlers below: the grid's minutes, snapped to a quarter hour.
const SNAP = 15;
const DAY = 24 * 60;
// A wall time on a grid date, without an offset: the server reads it in the user's zone.
// Date arithmetic in UTC keeps it a plain wall-clock sum.
const wallTime = (date, minute) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + minute * 60000).toISOString().slice(0, 16);

// Week grid: click on empty time to create an hour-long event there, or drag to choose
// its start and end (snapped to 15 minutes). Opens the ordinary event form, pre-filled;
// the grid reads and works without this file ("New event", the day headings).
document.addEventListener("DOMContentLoaded", () => {
  const grid = document.querySelector(".week-grid[data-create-url]");
  if (!grid) return;

  const minuteAt = (timeline, clientY) => {
    const box = timeline.getBoundingClientRect();
    const minute = ((clientY - box.top) / box.height) * DAY;
    return Math.max(0, Math.min(DAY, minute));
  };
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

// One's own events: drag to another time (or day), or drag the lower edge to change the
// end. Dropping opens the event's edit form with the new times filled in, where "Save"
// moves it (and a series asks "this / following / all"); that form is also the keyboard
// way. A press without movement is an ordinary click on the event.
document.addEventListener("DOMContentLoaded", () => {
  const grid = document.querySelector(".week-grid[data-create-url]");
  if (!grid) return;
  const THRESHOLD = 4; // pixels before a press becomes a drag
  const minutesOf = (text) => Number(text.slice(11, 13)) * 60 + Number(text.slice(14, 16));
  const timelineAt = (x) => {
    for (const timeline of grid.querySelectorAll(".timeline")) {
      const box = timeline.getBoundingClientRect();
      if (x >= box.left && x < box.right) return timeline;
    }
    return null;
  };

  let drag = null;
  let suppressClick = false;
  grid.addEventListener("pointerdown", (event) => {
    const block = event.target.closest("a.event[data-edit-url]");
    if (!block || event.button !== 0) return;
    const timeline = block.closest(".timeline");
    const end = minutesOf(block.dataset.end);
    drag = {
      block,
      timeline,
      resize: Boolean(event.target.closest(".resize-handle")),
      x: event.clientX,
      y: event.clientY,
      pxPerMinute: timeline.getBoundingClientRect().height / DAY,
      start: minutesOf(block.dataset.start),
      end: end === 0 ? DAY : end,
      moving: false,
      pointer: event.pointerId,
    };
    block.setPointerCapture(event.pointerId);
    event.preventDefault(); // no text selection, no native link drag
  });

  const proposed = (event, state = drag) => {
    const delta = Math.round((event.clientY - state.y) / state.pxPerMinute / SNAP) * SNAP;
    if (state.resize) {
      const end = Math.max(state.start + SNAP, Math.min(DAY, state.end + delta));
      return { timeline: state.timeline, start: state.start, end };
    }
    const length = state.end - state.start;
    const start = Math.max(0, Math.min(DAY - length, state.start + delta));
    return { timeline: timelineAt(event.clientX) || state.timeline, start, end: start + length };
  };

  grid.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointer) return;
    if (!drag.moving) {
      if (Math.abs(event.clientY - drag.y) + Math.abs(event.clientX - drag.x) < THRESHOLD) return;
      drag.moving = true;
      drag.block.classList.add("dragging");
      drag.ghost = document.createElement("div");
      drag.ghost.className = "event ghost";
      drag.ghost.setAttribute("aria-hidden", "true");
    }
    const place = proposed(event);
    if (drag.ghost.parentElement !== place.timeline) place.timeline.append(drag.ghost);
    drag.ghost.style.setProperty("--start", place.start);
    drag.ghost.style.setProperty("--end", place.end);
  });

  grid.addEventListener("pointerup", (event) => {
    if (!drag || event.pointerId !== drag.pointer) return;
    const current = drag;
    drag = null;
    if (!current.moving) return; // a plain press: the click follows the link
    const place = proposed(event, current);
    suppressClick = true;
    current.block.classList.remove("dragging");
    current.ghost.remove();
    const url = new URL(current.block.dataset.editUrl, window.location.href);
    url.searchParams.set("start", wallTime(place.timeline.dataset.date, place.start));
    url.searchParams.set("end", wallTime(place.timeline.dataset.date, place.end));
    window.location.assign(url.toString());
  });
  grid.addEventListener("pointercancel", () => {
    if (!drag) return;
    drag.block.classList.remove("dragging");
    if (drag.ghost) drag.ghost.remove();
    drag = null;
  });
  // The click that ends a drag is not a click on the event.
  grid.addEventListener("click", (event) => {
    if (suppressClick && event.target.closest("a.event")) event.preventDefault();
    suppressClick = false;
  });
});
})();
