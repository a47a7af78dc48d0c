// Audience pages: redraw the builder when a choice changes, close HTMX dialogs, and warn
// before leaving unsaved criteria. Every page also works without this file.
(() => {
  if (window.audienceBuilderLoaded) return; // the script may come with a swapped fragment
  window.audienceBuilderLoaded = true;
  let leaving = false;

  // A changed key, type, operator, time range or join redraws the builder (operators follow
  // the attribute's type). The hidden "refresh" button says the post only redraws.
  document.addEventListener("change", (event) => {
    const field = event.target.closest("#builder [data-refresh]");
    const button = field && field.form && field.form.querySelector("[data-refresh-button]");
    if (button) field.form.requestSubmit(button);
  });

  // Save and Activate leave the page on purpose: no warning for them.
  document.addEventListener(
    "submit",
    (event) => {
      if (event.submitter && event.submitter.hasAttribute("data-leave")) leaving = true;
    },
    true,
  );
  document.addEventListener("htmx:afterSwap", () => {
    leaving = false;
  });
  window.addEventListener("beforeunload", (event) => {
    const builder = document.getElementById("builder");
    if (!leaving && builder && builder.dataset.dirty === "true") {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Dialogs loaded by HTMX close in place; without JavaScript their Cancel is a plain link.
  const dialog = () => document.getElementById("dialog");
  const closeDialog = () => {
    const host = dialog();
    if (host && host.querySelector(".modal-backdrop")) {
      host.innerHTML = "";
      return true;
    }
    return false;
  };
  document.addEventListener("click", (event) => {
    const close = event.target.closest("[data-close-dialog]");
    const backdrop = event.target.classList && event.target.classList.contains("modal-backdrop");
    if ((close && dialog() && dialog().contains(close)) || backdrop) {
      if (closeDialog()) event.preventDefault();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeDialog();
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.target.id === "dialog") {
      const first = event.target.querySelector("input[type=text], button.primary, a.button");
      if (first) first.focus();
    }
  });

  // A standard audience's date range: typing a date picks "A period" (and an end date picks
  // "An end date"); picking "All available data" or "Most recent" clears the dates it drops,
  // so the server never has to refuse dates typed under the wrong choice.
  const followDateRange = (event) => {
    const field = event.target;
    const range = field.closest && field.closest(".date-range");
    if (!range) return;
    const pick = (name, value) => {
      const radio = range.querySelector(`input[name="${name}"][value="${value}"]`);
      if (radio) radio.checked = true;
    };
    const clear = (name) => {
      const input = range.querySelector(`input[name="${name}"]`);
      if (input) input.value = "";
    };
    if (field.name === "start" && field.value) pick("date_range", "period");
    if (field.name === "end" && field.value) {
      pick("date_range", "period");
      pick("end_mode", "date");
    }
    if (field.name === "date_range" && field.value === "all") {
      clear("start");
      clear("end");
    }
    if (field.name === "end_mode" && field.value === "most_recent") clear("end");
  };
  document.addEventListener("input", followDateRange);
  document.addEventListener("change", followDateRange);

  // Close the Add Criteria menu when clicking elsewhere.
  document.addEventListener("click", (event) => {
    document.querySelectorAll("details.add-menu[open]").forEach((menu) => {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();
