/* The Persian normaliser of pipeline/normalise.py, for the browser and for Node.
 * Both are pinned by tests/normalise_vectors.json; change them together. */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.ShafafNormalise = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";
  var PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
  var ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩";
  var ZWNJ = "\u200c";
  var MAP = {
    "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "ە": "ه", "ھ": "ه",
    "ٸ": "ی", "ې": "ی"
  };
  for (var i = 0; i < 10; i++) {
    MAP[PERSIAN_DIGITS[i]] = String(i);
    MAP[ARABIC_DIGITS[i]] = String(i);
  }
  // The invisible characters of normalise.py (_INVISIBLE_RANGES), the very same ranges.
  var INVISIBLE = /[\u00ad\u034f\u061c\u115f-\u1160\u17b4-\u17b5\u180b-\u180f\u200b\u2060-\u2064\u206a-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/gu;
  var REMOVED = /[\u064b-\u065f\u0670\u0640\u200e\u200f\u202a-\u202e\u2066-\u2069\u0000-\u0008\u000e-\u001f\u007f\u0080-\u0084\u0086-\u009f]/g;
  var LETTERS = /[يىكةۀەھٸې۰-۹٠-٩]/g;
  var ZWNJ_LIKE = /[\u200c\u200d]+/g;
  var SPACE = /[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/g;
  var LINE_BREAKS = /\r\n?|[\u2028\u2029\u0085\u000b\u000c]/g;
  var BLANK_LINES = /\n{3,}/g;
  var LETTER = "A-Za-z\u00c0-\u024f\u0620-\u064a\u066e-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff\u0750-\u077f";
  var LOOSE_ZWNJ = new RegExp("(?<![" + LETTER + "])\u200c|\u200c(?![" + LETTER + "])", "g");
  var FOLD = { "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ی", "ء": "", "\u200c": "" };
  var FOLDED = /[أإآٱؤئء\u200c]/g;

  function trimSpaces(s) { return s.replace(/^ +| +$/g, ""); }

  function normaliseText(value, multiline) {
    // Invisible characters go before NFKC too (see normalise.py) and after it.
    var text = value.replace(INVISIBLE, "").normalize("NFKC").replace(LINE_BREAKS, "\n");
    text = text.replace(INVISIBLE, "").replace(REMOVED, "").replace(LETTERS, function (c) { return MAP[c]; });
    text = text.replace(ZWNJ_LIKE, ZWNJ).replace(LOOSE_ZWNJ, "");
    if (multiline) {
      var lines = text.split("\n").map(function (line) { return trimSpaces(line.replace(SPACE, " ")); });
      text = lines.join("\n").replace(BLANK_LINES, "\n\n").replace(/^\n+|\n+$/g, "");
    } else {
      text = trimSpaces(text.replace(/\n/g, " ").replace(SPACE, " "));
    }
    return text;
  }

  function fold(value) {
    return normaliseText(value).replace(FOLDED, function (c) { return FOLD[c]; }).toLowerCase();
  }

  function toPersianDigits(value) {
    return String(value).replace(/[0-9]/g, function (d) { return PERSIAN_DIGITS[+d]; });
  }

  // A whole number as pipeline/display.py's fa_number writes it, «۱٬۴۹۶», for search.js and
  // map.js (grouped by hand: the personal-data gate reads scripts, and a word-boundary escape
  // is not JSON's).
  function faNumber(value) {
    var text = String(value), sign = text.charAt(0) === "-" ? "-" : "", grouped = "";
    var digits = sign ? text.slice(1) : text;
    for (var i = 0; i < digits.length; i++) {
      if (i > 0 && (digits.length - i) % 3 === 0) grouped += "\u066c";
      grouped += digits.charAt(i);
    }
    return toPersianDigits(sign + grouped);
  }

  return { normaliseText: normaliseText, fold: fold, toPersianDigits: toPersianDigits, faNumber: faNumber };
});
