// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Week view: open the time grid scrolled to the morning (07:00) instead of midnight.
  for (const body of document.querySelectorAll("[data-scroll-hour]")) {
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const hourRem = parseFloat(getComputedStyle(body).getPropertyValue("--hour")) || 3;
    // Half a rem of the previous hour stays visible, so the 07:00 label is not cut off.
    body.scrollTop = (Number(body.dataset.scrollHour) * hourRem - 0.5) * rem;
  }
  // Event form: time inputs are irrelevant for all-day events, so hide them.
  const allDay = document.querySelector("input[name='all_day']");
  if (allDay) {
    const sync = () => {
      for (const el of document.querySelectorAll("[data-time-field]")) {
        el.hidden = allDay.checked;
      }
    };
    allDay.addEventListener("change", sync);
    sync();
  }
});

// Language and time-zone choosers apply at once: submit the form when the choice changes
// (its button stays for pages without JavaScript).
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-submit-on-change]")) {
    const button = form.querySelector("button[type='submit']");
    if (button) button.hidden = true;
    form.addEventListener("change", () => form.requestSubmit());
  }
});
