// Event form: "Add another guest" clones the formset's empty row (the form works without it).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-add-guest]");
  const template = document.querySelector("[data-guest-template]");
  const rows = document.querySelector("[data-guest-rows]");
  const total = document.querySelector("input[name='guests-TOTAL_FORMS']");
  if (!button || !template || !rows || !total) return;
  button.hidden = false;
  const hint = document.querySelector("[data-no-js-hint]");
  if (hint) hint.hidden = true;
  button.addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const input = rows.lastElementChild.querySelector("input[type='email']");
    if (input) input.focus();
  });
});
