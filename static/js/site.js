/* Behaviour the templates declare with data attributes, so that no page
   needs inline event handlers (the Content-Security-Policy forbids them).
   data-confirm="..." on a button, link or form asks before going on;
   data-select-on-click on a text field selects its text (share links);
   <details data-open-on-wide> starts open on screens wider than a phone
   (the catalogue's filters). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var asking = target.closest("[data-confirm]");
    if (asking && asking.tagName !== "FORM" && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    var field = target.closest("[data-select-on-click]");
    if (field && typeof field.select === "function") field.select();
  });
  if (window.matchMedia && window.matchMedia("(min-width: 641px)").matches) {
    document.querySelectorAll("details[data-open-on-wide]").forEach(function (d) {
      d.open = true;
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm") &&
        !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
