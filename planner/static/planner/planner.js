/* Planner: Enter in a "Find a time" field finds a time.
 *
 * The form's first submit button is "Show", and Enter submits a form through its first
 * button, so without this a length typed and confirmed with Enter would only redraw the
 * timeline. The page works without it: the buttons are plain submit buttons. */
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
})();
