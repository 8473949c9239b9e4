// Guest page: show the event's time in the visitor's own time zone as well.
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("[data-local-time]")) {
    let zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      continue;
    }
    if (!zone || zone === el.dataset.eventZone) continue;
    const start = new Date(el.dataset.start);
    const end = new Date(el.dataset.end);
    const day = { weekday: "long", day: "numeric", month: "long", year: "numeric" };
    const time = { hour: "2-digit", minute: "2-digit", hour12: false };
    const fmt = (d, opts) => new Intl.DateTimeFormat(document.documentElement.lang || undefined, { ...opts, timeZone: zone }).format(d);
    const sameDay = fmt(start, day) === fmt(end, day);
    el.textContent =
      `${el.dataset.label} (${zone}): ${fmt(start, day)}, ${fmt(start, time)} – ` +
      `${sameDay ? "" : fmt(end, day) + ", "}${fmt(end, time)}`;
    el.hidden = false;
  }
});
