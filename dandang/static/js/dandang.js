/* Dandang web shell behaviour.  Loaded from 'self' only (CSP script-src 'self'): pages carry no
   inline scripts or event-handler attributes; behaviour hangs on data- attributes. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // A select marked data-autosubmit submits its form on change (the language switcher).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLSelectElement) || !target.hasAttribute("data-autosubmit") || !target.form) {
      return;
    }
    if (typeof target.form.requestSubmit === "function") {
      target.form.requestSubmit();
    } else {
      target.form.submit();
    }
  });

  // The language form returns to the address shown now (htmx may have pushed a new one).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-lang-form")) {
      return;
    }
    var next = form.querySelector('input[name="next"]');
    if (next) {
      next.value = window.location.pathname + window.location.search;
    }
  });

  // The menu button on narrow screens.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-nav-toggle]") : null;
    if (!button) {
      return;
    }
    var nav = document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) {
      return;
    }
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
    nav.classList.toggle("is-open", !open);
  });

  // htmx does not swap error responses: say that the request failed instead of doing nothing.
  function requestFailed(show) {
    var banner = document.getElementById("request-failed");
    if (banner) {
      banner.hidden = !show;
    }
  }
  document.addEventListener("htmx:responseError", function () { requestFailed(true); });
  document.addEventListener("htmx:sendError", function () { requestFailed(true); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) {
      requestFailed(false);
    }
  });
})();
