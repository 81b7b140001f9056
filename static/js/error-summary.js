// The error summary at the top of a form: focus moves to it when the page opens, and each of its
// links moves focus to the field it names (an anchor alone scrolls but does not focus on every browser).
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) { return; }
  summary.focus();
  summary.querySelectorAll("a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      if (!target.matches("input, select, textarea, button, [tabindex]")) { target.setAttribute("tabindex", "-1"); }
      target.scrollIntoView({ block: "center" });
      target.focus();
    });
  });
})();
