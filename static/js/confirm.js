// Asks before an irreversible step. A form (or the button that submits it) with data-confirm states the
// consequence; the form is sent only after OK. Without JavaScript the step happens at once.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
