// keygate console: progressive enhancement only. Every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Show-once dialog: the address becomes the key's page, so a reload or a return shows the key and
  // never the secret again.
  const once = document.getElementById("show-once");
  if (once && once.dataset.replaceUrl) {
    history.replaceState(null, "", once.dataset.replaceUrl);
    // Leaving the page forgets the secret, so a page restored from the back/forward cache holds none;
    // a restored page then reloads as the key's page.
    window.addEventListener("pagehide", () => {
      for (const node of once.querySelectorAll("code")) node.textContent = "";
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) location.reload();
    });
  }

  // Copy buttons.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = "Copied";
      } catch (_) {
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
    });
  }

  // Permission grid: Change implies View (ticking Change ticks View; unticking View unticks Change),
  // as the server folds write into read anyway.
  for (const box of document.querySelectorAll("input[type=checkbox][data-resource]")) {
    box.addEventListener("change", () => {
      const resource = box.dataset.resource;
      const find = (action) =>
        document.querySelector(`input[data-resource="${CSS.escape(resource)}"][data-action="${action}"]`);
      if (box.dataset.action === "write" && box.checked) {
        const view = find("read");
        if (view) view.checked = true;
      }
      if (box.dataset.action === "read" && !box.checked) {
        const change = find("write");
        if (change) change.checked = false;
      }
    });
  }

  // Live filtering of a table's rows by name as one types (the form still filters on submit).
  for (const input of document.querySelectorAll("input[data-live-filter]")) {
    const table = document.getElementById(input.dataset.liveFilter);
    if (!table) continue;
    input.addEventListener("input", () => {
      const needle = input.value.trim().toLowerCase();
      for (const row of table.tBodies[0].rows) {
        row.hidden = needle !== "" && !(row.dataset.name || "").includes(needle);
      }
    });
  }
});
