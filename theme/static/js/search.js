/* Shafaf search: lunr.js over the shards pipeline/search.py built, loaded lazily.
 * Queries are folded by ShafafNormalise (the same vectors as the Python side) and built with
 * index.query(), never index.search(), so lunr's query syntax (":", "*", "~", "^") can never
 * throw at a citizen. */
(function () {
  "use strict";
  var N = window.ShafafNormalise;
  var app = document.getElementById("search-app");
  if (!app || !N || !window.lunr) return;

  var LABEL = "shafafFold";
  lunr.Pipeline.registerFunction(function (token) {
    return token.update(function (s) { return N.fold(s); });
  }, LABEL);

  var base = app.getAttribute("data-search-base");
  var site = app.getAttribute("data-site-base");
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var FILTERS = ["kind", "district", "year", "type", "decision"];
  var WANTED = 20;
  var manifest = null, separators = null;
  var shards = {};      // name -> Promise of {index, docs}
  var generation = 0;   // a newer query cancels the rendering of an older one
  var state = null;

  function fetchJSON(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.json();
    });
  }

  function loadManifest() {
    if (!manifest) {
      manifest = fetchJSON(base + "manifest.json").then(function (m) {
        separators = new RegExp(m.separators);
        fillFilters(m);
        return m;
      });
    }
    return manifest;
  }

  function loadShard(entry) {
    if (!shards[entry.name]) {
      shards[entry.name] = Promise.all([fetchJSON(base + entry.index), fetchJSON(base + entry.docs)])
        .then(function (parts) { return { entry: entry, index: lunr.Index.load(parts[0]), docs: parts[1] }; });
    }
    return shards[entry.name];
  }

  function tokensOf(text) {
    var seen = {}, out = [];
    N.fold(text).split(separators).forEach(function (t) {
      if (t && !seen[t]) { seen[t] = true; out.push(t); }
    });
    return out;
  }

  function readFilters() {
    var f = {};
    FILTERS.forEach(function (name) {
      var el = form.elements[name];
      if (el && el.value) f[name] = el.value;
    });
    return f;
  }

  function fillFilters(m) {
    var years = m.shards.filter(function (s) { return s.year; }).map(function (s) { return s.year; });
    addOptions(form.elements.year, years.map(function (y) { return [String(y), N.toPersianDigits(y)]; }));
    var districts = [];
    for (var d = 1; d <= m.filters.districts; d++) districts.push([String(d), "منطقه " + N.toPersianDigits(d)]);
    addOptions(form.elements.district, districts);
    addOptions(form.elements.type, m.filters.violation_types.map(function (v) { return [v, v]; }));
    addOptions(form.elements.decision, m.filters.decisions.map(function (v) { return [v, v]; }));
    var params = new URLSearchParams(location.search);
    FILTERS.forEach(function (name) {
      if (params.get(name)) {
        form.elements[name].value = params.get(name);
        document.getElementById("search-filters-box").open = true;
      }
    });
  }

  function addOptions(select, pairs) {
    if (!select || select.options.length > 1) return;
    pairs.forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      select.appendChild(option);
    });
  }

  /* Which shards a word query needs, in the order they are searched: newest rulings and the
   * properties in turn, narrowed by the filters. */
  function plan(m, filters) {
    var rulings = m.shards.filter(function (s) {
      return s.kind === "ruling" && (!filters.year || String(s.year) === filters.year);
    });
    var properties = m.shards.filter(function (s) {
      return s.kind === "property" && (!filters.district || String(s.district) === filters.district);
    });
    if (filters.kind === "property") return properties;
    if (filters.kind === "ruling" || filters.year || filters.type || filters.decision) return rulings;
    var queue = [];
    for (var i = 0; i < Math.max(rulings.length, properties.length); i++) {
      if (rulings[i]) queue.push(rulings[i]);
      if (properties[i]) queue.push(properties[i]);
    }
    return queue;
  }

  /* FNV-1a, as pipeline/search.py buckets the number lookup. */
  function bucketOf(key, buckets) {
    var h = 0x811c9dc5;
    for (var i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h % buckets;
  }

  /* A ruling, case or property number: only the shards that hold it, or null. */
  function numberPlan(m, text) {
    var key = compact(text);
    if (key.length < 3 || !/[0-9]/.test(key)) return Promise.resolve(null);
    var file = m.numbers[bucketOf(key, m.numbers.length)];
    return fetchJSON(base + file).then(function (lookup) {
      var names = lookup[key];
      if (!names) return null;
      return m.shards.filter(function (s) { return names.indexOf(s.name) >= 0; });
    });
  }

  function query(index, tokens, fuzzy) {
    return index.query(function (q) {
      tokens.forEach(function (t) {
        if (fuzzy && t.length >= 5) {
          q.term(t, { editDistance: 1, presence: lunr.Query.presence.REQUIRED });
        } else {
          q.term(t, { wildcard: lunr.Query.wildcard.TRAILING, presence: lunr.Query.presence.REQUIRED });
        }
        q.term(t, { boost: 10 });   // a whole-word match ranks above a prefix or a typo
      });
    });
  }

  function searchShard(shard, tokens, filters) {
    var hits = query(shard.index, tokens, false);
    if (!hits.length) hits = query(shard.index, tokens, true);
    var wanted = compact(tokens.join(""));
    return hits.map(function (hit) {
      var doc = shard.docs[+hit.ref];
      var kind = shard.entry.kind;
      var exact = compact(doc[1]) === wanted || (kind === "ruling" && compact(doc[2]) === wanted);
      return { kind: kind, doc: doc, score: hit.score + (exact ? 1e6 : 0), exact: exact, terms: Object.keys(hit.matchData.metadata) };
    }).filter(function (r) { return keep(r, filters); });
  }

  /* «1402-3-1547», «۱۴۰۲/۳/۱۵۴۷» and «1402/3/1547» are the same number. */
  function compact(text) {
    return N.fold(String(text)).replace(/[^0-9a-z\u0621-\u064a\u067e-\u06cc]/g, "");
  }

  function keep(r, f) {
    var d = r.doc;
    if (f.kind && f.kind !== r.kind) return false;
    if (f.district && String(d[r.kind === "ruling" ? 4 : 3]) !== f.district) return false;
    if (r.kind === "ruling") {
      if (f.type && d[8].indexOf(f.type) < 0) return false;
      if (f.decision && d[9].indexOf(f.decision) < 0) return false;
    }
    return true;
  }

  function run() {
    var text = input.value;
    var filters = readFilters();
    writeURL(text, filters);
    var mine = ++generation;
    app.setAttribute("data-state", "busy");
    list.textContent = "";
    more.hidden = true;
    if (!text.trim()) { done("شماره رأی، شماره پرونده، نشانی، محله یا نام عضو کمیسیون را بنویسید."); return; }
    say("در حال جست‌وجو…");
    loadManifest().then(function (m) {
      if (mine !== generation) return;
      var tokens = tokensOf(text);
      if (!tokens.length) {
        done("این عبارت حرف یا رقمی برای جست‌وجو ندارد. شماره رأی، نشانی یا نامی را بنویسید.");
        return;
      }
      return numberPlan(m, text).then(function (numbered) {
        if (mine !== generation) return;
        state = { id: mine, tokens: tokens, filters: filters, results: [], loaded: 0,
                  queue: numbered || plan(m, filters), numbered: !!numbered };
        step(state);
      });
    }).catch(fail);
  }

  /* Search shard after shard until there are enough results or this step has fetched its
   * share of bytes; what is left waits for the "search further" button. A number query goes
   * through the few shards that hold that number. */
  var STEP_BYTES = 2000000;   // uncompressed; about 300 KB over the wire
  function step(s) {
    var fetched = 0;
    (function next() {
      if (s.id !== generation) return;
      if (!s.queue.length || s.results.length >= WANTED ||
          (!s.numbered && fetched > 0 && fetched + s.queue[0].bytes > STEP_BYTES)) {
        render(s);
        return;
      }
      var entry = s.queue.shift();
      fetched += entry.bytes;
      s.searched = (s.searched || 0) + 1;
      loadShard(entry).then(function (shard) {
        if (s.id !== generation) return;
        var t0 = performance.now();
        s.results = s.results.concat(searchShard(shard, s.tokens, s.filters));
        s.searchMs = (s.searchMs || 0) + performance.now() - t0;   // lunr only, not fetching
        next();
      }).catch(fail);
    })();
  }

  function render(s) {
    app.setAttribute("data-last-query-ms", (s.searchMs || 0).toFixed(1));
    app.setAttribute("data-last-query-shards", String(s.searched || 0));
    s.results.sort(function (a, b) { return b.score - a.score; });
    list.textContent = "";
    s.results.forEach(function (r) { list.appendChild(item(r, s.tokens)); });
    var n = N.toPersianDigits(s.results.length);
    say(s.results.length ? n + " نتیجه" : "نتیجه‌ای پیدا نشد.");
    more.hidden = !s.queue.length;
    if (s.queue.length) {
      var next = s.queue[0];
      more.textContent = next.kind === "ruling"
        ? "ادامه‌ی جست‌وجو در آرای قدیمی‌تر (از " + N.toPersianDigits(next.year + "/" + next.month) + ")"
        : "ادامه‌ی جست‌وجو در املاک";
    }
    app.setAttribute("data-state", "done");
  }

  function item(r, tokens) {
    var li = document.createElement("li");
    var d = r.doc;
    var link = document.createElement("a");
    var title = document.createElement("h2");
    if (r.kind === "ruling") {
      link.href = site + "rulings/" + d[0] + "/";
      append(title, "رأی شماره ", tokens);
      append(title, d[1], tokens, true);
      title.appendChild(document.createTextNode(" · " + d[11]));
      line(li, "پرونده", d[2], tokens);
      line(li, "منطقه و محله", "منطقه " + d[4] + (d[5] ? "، " + d[5] : ""), tokens);
      if (d[10]) line(li, "نشانی", d[10], tokens);
      line(li, "اعضا", d[7].join("، "), tokens);
      if (d[8].length) line(li, "تخلف", d[8].join("، "), tokens);
    } else {
      link.href = site + "properties/" + d[0] + "/";
      append(title, d[2], tokens);
      line(li, "کد ملک", d[1], tokens, true);
      line(li, "منطقه و محله", "منطقه " + d[3] + (d[4] ? "، " + d[4] : ""), tokens);
      if (d[7]) line(li, "نشانی", d[7], tokens);
      line(li, "کاربری", d[5] + " · " + d[6], tokens);
    }
    link.appendChild(title);
    li.insertBefore(link, li.firstChild);
    li.className = "result result-" + r.kind + (r.exact ? " result-exact" : "");
    return li;
  }

  function line(li, label, text, tokens, isolate) {
    var p = document.createElement("p");
    var b = document.createElement("span");
    b.className = "result-label";
    b.textContent = label + ": ";
    p.appendChild(b);
    append(p, text, tokens, isolate);
    li.appendChild(p);
  }

  /* Text with the words that match a query token wrapped in <mark>; DOM nodes, never HTML. */
  function append(parent, text, tokens, isolate) {
    var holder = isolate ? document.createElement("bdi") : parent;
    String(text).split(/(\s+)/).forEach(function (word) {
      var folded = N.fold(word);
      var hit = folded && tokens.some(function (t) { return folded.indexOf(t) === 0 || (t.length >= 5 && folded.indexOf(t.slice(0, 4)) === 0); });
      var shown = N.toPersianDigits(word);
      if (hit) {
        var mark = document.createElement("mark");
        mark.textContent = shown;
        holder.appendChild(mark);
      } else {
        holder.appendChild(document.createTextNode(shown));
      }
    });
    if (isolate) parent.appendChild(holder);
  }

  function say(text) { status.textContent = text; }

  function done(text) {
    say(text);
    app.setAttribute("data-state", "done");
  }

  function fail(error) {
    say("جست‌وجو انجام نشد. لطفاً دوباره تلاش کنید یا از فهرست‌ها استفاده کنید.");
    app.setAttribute("data-state", "error");
    if (window.console) console.warn(error);
  }

  function writeURL(text, filters) {
    var params = new URLSearchParams();
    if (text) params.set("q", text);
    FILTERS.forEach(function (name) { if (filters[name]) params.set(name, filters[name]); });
    var url = location.pathname + (params.toString() ? "?" + params.toString() : "");
    history.replaceState(null, "", url);
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  });
  form.addEventListener("change", run);
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  more.addEventListener("click", function () {
    if (!state) return;
    more.hidden = true;
    app.setAttribute("data-state", "busy");
    say("در حال جست‌وجو…");
    step(state);
  });

  app.hidden = false;
  var params = new URLSearchParams(location.search);
  if (params.get("q")) input.value = params.get("q");
  var headerBox = document.getElementById("site-search");
  if (headerBox && params.get("q")) headerBox.value = params.get("q");
  if (params.get("q")) loadManifest().then(run).catch(fail);
})();
