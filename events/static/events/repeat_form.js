// Event form, repeat control: show only the fields that apply (the form works without it).
// Also relabels the monthly options after the start date, and hides the control unless
// "All occurrences" is chosen on an occurrence's edit page.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-repeat]");
  const select = box && box.querySelector("select[name='repeat']");
  if (!select) return;
  const textsNode = document.getElementById("repeat-texts");
  const texts = textsNode ? JSON.parse(textsNode.textContent) : null;
  const checked = (name) => {
    const input = document.querySelector(`input[name='${name}']:checked`);
    return input ? input.value : "";
  };
  const show = (name, on) => {
    box.querySelectorAll(`[data-repeat-part='${name}']`).forEach((el) => { el.hidden = !on; });
  };
  const unit = document.createElement("span");
  unit.className = "help";
  const interval = box.querySelector("input[name='repeat_interval']");
  if (interval) interval.insertAdjacentElement("afterend", unit);

  // Until the weekday boxes are touched, the ticked one follows the start date.
  const dayBoxes = box.querySelectorAll("input[name='repeat_weekdays']");
  let daysTouched = box.hasAttribute("data-repeat-fixed-day");
  dayBoxes.forEach((b) => b.addEventListener("change", () => { daysTouched = true; }));

  const relabel = (event) => {
    const input = document.querySelector("input[name='start_date']");
    if (!texts || !input || !input.value || box.hasAttribute("data-repeat-fixed-day")) return;
    const [y, m, d] = input.value.split("-").map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    if (Number.isNaN(day.getTime())) return;
    const index = (day.getUTCDay() + 6) % 7;
    if (event && !daysTouched) dayBoxes.forEach((b, i) => { b.checked = i === index; });
    const labels = {
      day: texts.day.replace("%(day)d", String(d)),
      weekday: texts.nth[index][Math.floor((d - 1) / 7)],
      last: texts.last[index],
    };
    box.querySelectorAll("input[name='repeat_monthly']").forEach((radio) => {
      const label = radio.closest("label");
      if (label && labels[radio.value]) label.lastChild.textContent = " " + labels[radio.value];
    });
  };

  const update = () => {
    const freq = select.value;
    const repeats = freq !== "" && freq !== "keep";
    const ends = checked("repeat_ends") || "never";
    show("interval", repeats);
    show("weekly", freq === "WEEKLY");
    show("monthly", freq === "MONTHLY");
    show("ends", repeats);
    show("until", repeats && ends === "until");
    show("count", repeats && ends === "count");
    if (texts) {
      // "Every [1] week", "Every [2] weeks": never "1 weeks".
      const forms = texts.units[freq];
      const typed = interval ? interval.value.trim() : "";
      const n = typed === "" || Number.isNaN(Number(typed)) ? 1 : Number(typed);
      const category = new Intl.PluralRules(document.documentElement.lang || "en").select(n);
      unit.textContent = repeats && forms ? " " + (forms[category] || forms.other) : "";
    }
    if (box.hasAttribute("data-repeat-scoped")) box.hidden = checked("scope") !== "all";
  };
  box.addEventListener("change", update);
  if (interval) interval.addEventListener("input", update);
  document.querySelectorAll("input[name='scope']").forEach((r) => r.addEventListener("change", update));
  const start = document.querySelector("input[name='start_date']");
  if (start) start.addEventListener("change", relabel);
  relabel();
  update();
});
