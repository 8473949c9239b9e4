// Booking pages: small enhancements only; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Settings: the link's own hours can be edited only when the working hours do not apply.
  const useWorking = document.getElementById("id_use_working_hours");
  if (useWorking) {
    const ownHours = document.querySelectorAll("[data-own-hours]");
    useWorking.addEventListener("change", () => {
      ownHours.forEach((field) => {
        field.disabled = useWorking.checked;
      });
    });
  }
  const zoneForm = document.querySelector("form[data-zone-form]");
  if (zoneForm) {
    const select = zoneForm.querySelector("select[name='tz']");
    // First visit (no zone chosen yet): show the times in the browser's own zone.
    if (zoneForm.dataset.zoneGiven !== "1") {
      let zone = "";
      try {
        zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      } catch (e) {
        zone = "";
      }
      // The server reads old names too (Asia/Calcutta) and offers today's instead.
      if (zone && zone !== select.value) {
        const url = new URL(window.location.href);
        url.searchParams.set("tz", zone);
        window.location.replace(url.toString());
        return;
      }
    }
    // Changing the zone reloads the page in it; the button stays for keyboard users.
    select.addEventListener("change", () => zoneForm.submit());
  }
  // Language: applies at once, and the time already picked stays picked.
  const languageForm = document.querySelector("form.language-switcher");
  if (languageForm) {
    const button = languageForm.querySelector("button[type='submit']");
    if (button) button.hidden = true;
    languageForm.addEventListener("submit", () => {
      const picked = document.querySelector("input[name='start']:checked");
      if (!picked) return;
      const keep = document.createElement("input");
      keep.type = "hidden";
      keep.name = "start";
      keep.value = picked.value;
      languageForm.append(keep);
    });
    languageForm.addEventListener("change", () => languageForm.requestSubmit());
  }
  // Settings: copy the freshly made link to the clipboard.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    if (!navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(input.value);
        button.textContent = button.dataset.copied;
      } catch (e) {
        input.select();
      }
    });
  }
});
