// Copy-link buttons, and table and chart scroll regions that take a tab stop only when they scroll.
// Without scripts the buttons stay hidden (the address is on the page as text) and every
// region keeps its tabindex, so a table wider than the screen can still be scrolled by keyboard.
(function () {
  "use strict";

  // --- copy the record's address ------------------------------------------------------
  function copied(button, ok) {
    var status = button.parentNode.querySelector(".copy-status");
    if (!status) {
      status = document.createElement("span");
      status.className = "copy-status";
      status.setAttribute("role", "status");
      button.insertAdjacentElement("afterend", status);
    }
    status.textContent = ok ? "نشانی رونوشت شد." : "رونوشت نشد؛ نشانی را از پایین صفحه بردارید.";
  }

  function fallbackCopy(text) {
    var field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.style.position = "fixed";
    field.style.opacity = "0";
    document.body.appendChild(field);
    field.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(field);
    return ok;
  }

  var buttons = document.querySelectorAll("button.copy-link[data-copy-target]");
  for (var i = 0; i < buttons.length; i += 1) {
    var target = document.getElementById(buttons[i].getAttribute("data-copy-target"));
    if (!target) { continue; }
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function (event) {
      var button = event.currentTarget;
      // the link's resolved address: absolute even when the site is built with relative links
      var text = document.getElementById(button.getAttribute("data-copy-target")).href;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button, true); },
          function () { copied(button, fallbackCopy(text)); });
      } else {
        copied(button, fallbackCopy(text));
      }
    });
  }

  // --- scroll regions ------------------------------------------------------------------
  // A focusable region that does not scroll is a tab stop that does nothing (WCAG 2.4.3);
  // one that scrolls must stay focusable so a keyboard can scroll it (axe: scrollable-region-focusable).
  // A region that fits is marked so, and the line saying it scrolls goes (site.css: .scroll-hint);
  // without scripts that line stays, in case.
  var regions = document.querySelectorAll(".table-scroll, .chart-scroll");
  function fit() {
    for (var j = 0; j < regions.length; j += 1) {
      var region = regions[j];
      var scrolls = region.scrollWidth > region.clientWidth + 1;
      region.classList.toggle("fits", !scrolls);
      if (scrolls) {
        region.setAttribute("tabindex", "0");
      } else if (document.activeElement !== region) {
        region.removeAttribute("tabindex");
      }
    }
  }
  // A region scrolled away from its start is marked so: a column that stays in place (member.css:
  // the members' names) then shades the columns passing under it, which no edge of the box can show.
  function moved(event) {
    var region = event.currentTarget;
    region.classList.toggle("scrolled", Math.abs(region.scrollLeft) > 1);
  }
  if (regions.length) {
    for (var k = 0; k < regions.length; k += 1) {
      regions[k].addEventListener("scroll", moved, { passive: true });
    }
    fit();
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) { window.cancelAnimationFrame(pending); }
      pending = window.requestAnimationFrame(fit);
    });
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(fit); }
  }
}());
