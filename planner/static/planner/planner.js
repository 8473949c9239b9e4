/* Planner page behaviour. The page works without it; this only saves steps.
 *
 * 1. Enter in a "Find a time" field finds a time. The form's first submit button is
 *    "Show", and Enter submits a form through its first button, so without this a
 *    length typed and confirmed with Enter would only redraw the timeline.
 * 2. Where the day is wider than the screen (a phone), the timeline opens scrolled to
 *    the first time found, so the outlined times are in view rather than off to the
 *    right. Every day of the view scrolls alike: their hours line up.
 */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.defaultPrevented) return;
    var field = event.target;
    if (!(field instanceof HTMLInputElement) || !field.closest(".planner-find")) return;
    var form = field.form;
    var find = form && form.querySelector("button[data-find]");
    if (!find || !form.hasAttribute("data-planner-form")) return;
    event.preventDefault();
    form.requestSubmit(find);
  });

  function scrollToFound() {
    var found = document.querySelector(".planner-found .found");
    if (!found) return;
    var box = found.closest(".planner-scroll");
    var person = box && box.querySelector(".planner-found .planner-person");
    if (!box || !person || box.scrollWidth <= box.clientWidth) return;
    var scale = box.querySelector(".planner-scale .planner-track");
    var hours = scale ? scale.children.length : 0;
    // Leave the hour before the first time in view, with whatever ends there.
    var margin = hours ? scale.getBoundingClientRect().width / hours : 0;
    var offset = found.getBoundingClientRect().left - person.getBoundingClientRect().right;
    var left = Math.max(0, box.scrollLeft + offset - margin);
    document.querySelectorAll(".planner-scroll").forEach(function (each) {
      each.scrollLeft = left;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", scrollToFound);
  } else {
    scrollToFound();
  }
})();
