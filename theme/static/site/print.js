/* Printing. The print button is shown only when scripts run (and the hint that stands for it
 * without scripts is hidden); what paper holds is the print stylesheet's (css/print.css,
 * linked with media="print" by _print_header.html). Before printing, the print header's date
 * becomes today's, in the Jalali calendar with Persian digits: without scripts the page
 * carries the data's date, labelled as such, since a static page cannot know when it is printed. */
(function () {
  "use strict";
  // Every page loads this script (_print_header.html); a page that also names it runs it once.
  if (window.shafafPrint) return;
  window.shafafPrint = true;
  var buttons = document.querySelectorAll(".print-button");
  var hints = document.querySelectorAll(".print-hint");
  var i;
  for (i = 0; i < buttons.length; i += 1) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
  for (i = 0; i < hints.length; i += 1) hints[i].hidden = true;

  var line = document.querySelector(".print-date");
  var label = document.querySelector(".print-date-label");
  var value = document.querySelector(".print-date time, .print-date .print-date-value");
  if (!line || !label || !value || !window.Intl) return;
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  window.addEventListener("beforeprint", function () {
    var now = new Date();
    var parts = {};
    new Intl.DateTimeFormat("fa-IR-u-ca-persian-nu-arabext", { year: "numeric", month: "long", day: "numeric" })
      .formatToParts(now).forEach(function (p) { parts[p.type] = p.value; });
    if (!parts.year || !parts.month || !parts.day) return;
    // «۱۰ آذر ۱۴۰۵», the order and digits the site's own dates use (pipeline/display.py: jalali).
    var time = document.createElement("time");
    time.textContent = parts.day + " " + parts.month + " " + parts.year.replace(/\s*ه\.ش\.?$/, "");
    time.setAttribute("datetime", now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()));
    value.parentNode.replaceChild(time, value);
    value = time;
    label.textContent = label.getAttribute("data-printed");
    line.hidden = false;
  });
}());
