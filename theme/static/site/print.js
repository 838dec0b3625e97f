// The print button: shown only when scripts run, prints the page (site.css, @media print, hides the rest).
(function () {
  "use strict";
  var buttons = document.querySelectorAll(".print-button");
  for (var i = 0; i < buttons.length; i += 1) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
}());
