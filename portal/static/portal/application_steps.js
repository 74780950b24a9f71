/* The multi-step application form (portal/applicant/application_step.html): once the applicant
   presses one of the form's own buttons, no autosave may start any more, so that the step's save
   and a late autosave never race (the autosave would only repeat the same values). htmx posts
   the autosave; this file only stops it. Vendored, no dependencies; safe to load more than once. */
(function () {
  "use strict";

  function guard(form) {
    if (form.getAttribute("data-autosave-guarded")) {
      return;
    }
    form.setAttribute("data-autosave-guarded", "1");
    form.addEventListener("submit", function () {
      form.setAttribute("data-submitting", "1");
    });
    form.addEventListener("htmx:confirm", function (event) {
      if (form.getAttribute("data-submitting")) {
        event.preventDefault();
      }
    });
  }

  function start() {
    document.querySelectorAll("form[data-autosave]").forEach(guard);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
