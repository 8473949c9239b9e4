// A search box above every <select data-searchable="placeholder">: typing "berl" or
// "+01" leaves only the matching options (the time-zone lists have over 400).
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-searchable]")) {
    const box = document.createElement("input");
    box.type = "search";
    box.className = "select-search";
    box.placeholder = select.dataset.searchable;
    box.setAttribute("aria-label", select.dataset.searchable);
    box.setAttribute("aria-controls", select.id);
    select.before(box);
    const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    box.addEventListener("input", () => {
      const wanted = fold(box.value.trim());
      for (const option of select.options) {
        const text = fold(option.textContent) + " " + fold(option.value);
        option.hidden = Boolean(wanted) && !text.includes(wanted) && !option.selected;
      }
    });
  }
});
