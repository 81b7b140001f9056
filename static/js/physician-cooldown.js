// Counts down the SMS resend cool-down on buttons with data-cooldown, then enables them.
(function () {
  "use strict";
  document.querySelectorAll("[data-cooldown]").forEach(function (button) {
    var left = parseInt(button.dataset.cooldown, 10) || 0;
    var label = button.dataset.label || button.textContent;
    var format = button.dataset.format;
    if (left <= 0) { return; }
    var timer = window.setInterval(function () {
      left -= 1;
      if (left <= 0) {
        window.clearInterval(timer);
        button.disabled = false;
        button.textContent = label;
      } else {
        button.textContent = format ? format.replace("__N__", String(left)) : label + " (" + left + " s)";
      }
    }, 1000);
  });
})();
