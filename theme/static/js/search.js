/* Shafaf search: lunr.js over the term-partitioned index that pipeline/search.py built.
 *
 * A query fetches the `terms-` files that hold its terms (prefixes and typos are expanded
 * first by lunr's own TokenSet over the `words` file), assembles from them a small
 * lunr.Index holding only those terms and the documents that have them, and lets lunr match
 * and score: lunr scores by dot product over the query vector's magnitude, so the small index
 * answers exactly as the whole one would. Totals are exact; filters read each document's code
 * from the same files. Queries are folded by ShafafNormalise (the vectors the Python side
 * passes) and built with index.query(), never index.search(), so lunr's query syntax
 * (":", "*", "~", "^") can never throw at a citizen. */
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
  var pager = document.getElementById("search-pages");
  var entities = document.getElementById("search-entities");
  var suggestions = document.getElementById("search-suggestions");
  var FACETS = ["kind", "district", "year", "stage", "type", "decision", "member"];
  var PER_PAGE = 20;
  var EXACT = 1e6;          // an exact ruling, case or property number ranks first
  var PREFIX_FROM = 3;      // shorter words match whole only (a one-letter prefix is half the index)
  var FUZZY_FROM = 5;
  var files = {};           // name -> Promise of its JSON
  var manifest = null, words = null, m = null;
  var generation = 0;       // a newer query cancels the rendering of an older one
  var fetchedNow = 0;

  function get(name) {
    if (!files[name]) {
      fetchedNow++;
      files[name] = fetch(base + name).then(function (r) {
        if (!r.ok) throw new Error(name + ": " + r.status);
        return r.json();
      });
    }
    return files[name];
  }

  function loadManifest() {
    if (!manifest) {
      manifest = get("manifest.json").then(function (data) {
        m = data;
        m.separatorsRe = new RegExp(m.separators);
        m.numberRe = new RegExp(m.number);
        m.firstTerms = m.terms.map(function (t) { return t[0]; });
        m.memberIds = {};
        m.members.forEach(function (member, i) { m.memberIds[memberValue(member)] = i; });
        fillFilters();
        return m;
      });
    }
    return manifest;
  }

  function loadWords() {
    if (!words) {
      words = get(m.words).then(function (list) { return lunr.TokenSet.fromArray(list); });
    }
    return words;
  }

  /* --- what a query is ------------------------------------------------------------- */

  function tokensOf(text) {
    var seen = {}, out = [];
    N.fold(text).split(m.separatorsRe).forEach(function (t) {
      if (t && !seen[t]) { seen[t] = true; out.push(t); }
    });
    return out;
  }

  function canonicalNumber(text) {
    return N.fold(text).replace(/[\s\/\-]+/g, "/").replace(/^\/+|\/+$/g, "");
  }

  /* The identifier a number query asks for, its lead-in words («رأی», «پرونده»…) dropped, or
   * null for a word query: the manifest's "number" is search.NUMBER_QUERY, its group the number. */
  function queryNumber(text) {
    var found = m.numberRe.exec(N.fold(text));
    return found ? canonicalNumber(found[1]) : null;
  }

  function hasDigit(t) { return /[0-9]/.test(t); }

  /* The clauses of a query, as tests/test_search_oracle.py builds them for lunr.py. */
  function clauses(text, fuzzy) {
    var number = queryNumber(text);
    if (number !== null) {
      // the whole identifier, or a part of one (indexed as «/1547»; a part has no "/")
      var whole = { term: number, fields: ["id"] };
      return number.indexOf("/") >= 0 ? [whole] : [whole, { term: "/" + number, fields: ["number"] }];
    }
    var out = [];
    // Every word is required, however common: a record that lacks one is not an answer.
    tokensOf(text).forEach(function (t) {
      if (hasDigit(t) || t.length < PREFIX_FROM) {
        out.push({ term: t, presence: lunr.Query.presence.REQUIRED });
        return;
      }
      if (fuzzy && t.length >= FUZZY_FROM) out.push({ term: t, editDistance: 1, presence: lunr.Query.presence.REQUIRED });
      else out.push({ term: t, wildcard: lunr.Query.wildcard.TRAILING, presence: lunr.Query.presence.REQUIRED });
      out.push({ term: t, boost: 10 });   // a whole-word match ranks above a prefix or a typo
    });
    return out;
  }

  function asQuery(list) {
    var q = new lunr.Query(m.fields);
    list.forEach(function (c) {
      var options = { usePipeline: false };
      Object.keys(c).forEach(function (k) { if (k !== "term") options[k] = c[k]; });
      q.term(c.term, options);
    });
    return q;
  }

  /* The index terms a query can reach: words expanded by lunr's TokenSet, numbers as typed. */
  function reachable(query, wordSet) {
    var terms = {};
    query.clauses.forEach(function (clause) {
      if (hasDigit(clause.term)) { terms[clause.term] = true; return; }
      wordSet.intersect(lunr.TokenSet.fromClause(clause)).toArray().forEach(function (t) { terms[t] = true; });
    });
    return Object.keys(terms).sort();
  }

  function fileOf(term) {
    var lo = 0, hi = m.firstTerms.length;   // the last file whose first term is <= term
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (m.firstTerms[mid] <= term) lo = mid + 1; else hi = mid;
    }
    var i = Math.max(0, lo - 1);
    return "terms-" + i + "." + m.terms[i][1] + ".json";
  }

  /* A terms file decoded: term -> [[field, [refs], [components]]], and ref -> code. */
  function decodeTerms(data) {
    if (data.decoded) return data.decoded;
    var postings = {}, codes = {}, ref = 0;
    data.terms.forEach(function (entry) {
      postings[entry[0]] = entry[1].map(function (flat) {
        var refs = [], comps = [], r = 0;
        for (var i = 1; i < flat.length; i += 2) { r += flat[i]; refs.push(r); comps.push(flat[i + 1]); }
        return [flat[0], refs, comps];
      });
    });
    data.refs.forEach(function (delta, i) { ref += delta; codes[ref] = data.codes[i]; });
    data.decoded = { postings: postings, codes: codes };
    return data.decoded;
  }

  /* A lunr index of just these terms (sorted), with their real vector components. */
  function smallIndex(terms, postings) {
    var inverted = [], vectors = {}, order = [];
    terms.forEach(function (term, position) {
      var posting = { _index: position };
      m.fields.forEach(function (f) { posting[f] = {}; });
      postings[term].forEach(function (entry) {
        var field = m.fields[entry[0]];
        entry[1].forEach(function (ref, i) {
          posting[field][ref] = {};
          var key = field + "/" + ref;
          if (!vectors[key]) { vectors[key] = []; order.push(key); }
          vectors[key].push(position, entry[2][i] / 1000);
        });
      });
      inverted.push([term, posting]);
    });
    return lunr.Index.load({
      version: lunr.version, fields: m.fields, pipeline: [LABEL], invertedIndex: inverted,
      fieldVectors: order.map(function (key) { return [key, vectors[key]]; })
    });
  }

  /* Every document a query matches, with its score and code: {hits, codes, present}. */
  function match(text, fuzzy) {
    var query = asQuery(clauses(text, fuzzy));
    var needsWords = query.clauses.some(function (c) { return !hasDigit(c.term); });
    return (needsWords ? loadWords() : Promise.resolve(null)).then(function (wordSet) {
      var terms = reachable(query, wordSet);
      var names = {};
      terms.forEach(function (t) { names[fileOf(t)] = true; });
      return Promise.all(Object.keys(names).map(get)).then(function (datas) {
        var postings = {}, codes = {};
        datas.forEach(function (data) {
          var d = decodeTerms(data);
          Object.keys(d.postings).forEach(function (t) { postings[t] = d.postings[t]; });
          Object.keys(d.codes).forEach(function (r) { codes[r] = d.codes[r]; });
        });
        var present = terms.filter(function (t) { return postings[t]; });
        var t0 = performance.now();
        var hits = present.length ? smallIndex(present, postings).query(function (q) {
          query.clauses.forEach(function (c) { q.clause(Object.assign({}, c, { term: c.term.replace(/\*$/, "") })); });
        }) : [];
        var ms = performance.now() - t0;
        return {
          ms: ms, codes: codes, datas: datas,
          hits: hits.map(function (hit) {
            var exact = Object.keys(hit.matchData.metadata).some(function (t) { return "id" in hit.matchData.metadata[t]; });
            return { ref: +hit.ref, score: hit.score + (exact ? EXACT : 0), exact: exact };
          })
        };
      });
    });
  }

  /* --- filters --------------------------------------------------------------------- */

  /* A path of the site from a template of the manifest's "urls" (pipeline/urls.py). */
  function path(name, values) {
    return m.urls[name].replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  /* A member's filter value: the part of the member's path after the fixed prefix. */
  function memberValue(member) {
    var prefix = m.urls.member.slice(0, m.urls.member.indexOf("{"));
    return member[2].slice(prefix.length).replace(/\/$/, "");
  }

  function isRuling(ref) { return ref < m.propertyBase; }

  function yearOf(ref) {
    for (var i = 0; i < m.years.length; i++) {
      if (ref >= m.years[i][1] && ref <= m.years[i][2]) return String(m.years[i][0]);
    }
    return null;
  }

  /* The values of one facet that a document has (strings, as the URL holds them). */
  function valuesOf(facet, ref, code) {
    if (facet === "kind") return [isRuling(ref) ? "ruling" : "property"];
    if (facet === "district") return [String(code[0])];
    if (!isRuling(ref)) return [];
    if (facet === "year") return [yearOf(ref)];
    if (facet === "stage") return [m.stages[code[1]]];
    if (facet === "type") return bits(code[2], m.types);
    if (facet === "decision") return bits(code[3], m.decisions);
    return code.slice(4).map(function (i) { return memberValue(m.members[i]); });
  }

  function bits(mask, names) {
    return names.filter(function (_, i) { return mask & (1 << i); });
  }

  function passes(ref, code, filters, except) {
    return FACETS.every(function (facet) {
      return facet === except || !filters[facet] || valuesOf(facet, ref, code).indexOf(filters[facet]) >= 0;
    });
  }

  /* For each facet, how many documents of `docs` have each value, counting those that pass
   * every other filter (so a chosen district still shows the other districts' counts). */
  function facetCounts(docs, filters, only) {
    var counts = {};
    (only || FACETS).forEach(function (facet) {
      var c = counts[facet] = {};
      docs.forEach(function (d) {
        if (!passes(d.ref, d.code, filters, facet)) return;
        valuesOf(facet, d.ref, d.code).forEach(function (v) { c[v] = (c[v] || 0) + 1; });
      });
    });
    return counts;
  }

  /* Counts of the whole site, from the manifest, restricted to a kind if one is chosen. */
  function globalCounts(kind) {
    var counts = { kind: { ruling: m.counts.ruling, property: m.counts.property } };
    var names = { district: null, year: null, stage: m.stages, type: m.types, decision: m.decisions, member: null };
    Object.keys(names).forEach(function (facet) {
      var c = counts[facet] = {};
      Object.keys(m.facets[facet]).forEach(function (value) {
        var entry = m.facets[facet][value];
        var key = facet === "member" ? memberValue(m.members[+value]) : names[facet] ? names[facet][+value] : value;
        c[key] = (kind === "property" ? 0 : entry[1]) + (kind === "ruling" ? 0 : entry[2]);
      });
    });
    return counts;
  }

  function facetFile(facet, value) {
    var key = value;
    if (facet === "stage") key = String(m.stages.indexOf(value));
    if (facet === "type") key = String(m.types.indexOf(value));
    if (facet === "decision") key = String(m.decisions.indexOf(value));
    if (facet === "member") key = String(m.memberIds[value]);
    return m.facets[facet][key] || null;
  }

  function decodeFacet(data) {
    if (!data.docs) {
      var ref = 0;
      data.docs = data.refs.map(function (delta, i) { ref += delta; return { ref: ref, code: data.codes[i] }; });
    }
    return data.docs;
  }

  /* A browse without a word: the documents of the chosen filters, newest first. */
  function browse(filters) {
    var chosen = FACETS.filter(function (f) { return f !== "kind" && filters[f]; });
    if (chosen.some(function (f) { return !facetFile(f, filters[f]); })) {
      return Promise.resolve({ total: 0, counts: globalCounts(filters.kind), ordered: function () { return []; } });
    }
    if (!chosen.length) {
      var rulings = filters.kind === "property" ? 0 : m.counts.ruling;
      var properties = filters.kind === "ruling" ? 0 : m.counts.property;
      return Promise.resolve({
        total: rulings + properties, counts: globalCounts(filters.kind),
        ordered: function (from, to) {
          var refs = [];
          for (var i = from; i < Math.min(to, rulings + properties); i++) {
            refs.push(i < rulings ? rulings - 1 - i : m.propertyBase + i - rulings);
          }
          return refs;
        }
      });
    }
    var only = chosen.length === 1 && facetFile(chosen[0], filters[chosen[0]]);
    if (only && only[3] && filters.kind !== "property") return browseWithout(chosen[0], only[3], filters);
    return Promise.all(chosen.map(function (f) { return get(facetFile(f, filters[f])[0]); })).then(function (datas) {
      var sets = datas.map(decodeFacet);
      var smallest = sets.reduce(function (a, b) { return a.length <= b.length ? a : b; });
      var found = smallest.filter(function (d) { return passes(d.ref, d.code, filters); });
      var counts = {};
      FACETS.forEach(function (facet) {
        var others = chosen.map(function (f, i) { return f === facet ? null : sets[i]; }).filter(Boolean);
        if (!others.length) { counts[facet] = globalCounts(facet === "kind" ? null : filters.kind)[facet]; return; }
        var pool = others.reduce(function (a, b) { return a.length <= b.length ? a : b; });
        counts[facet] = facetCounts(pool, filters, [facet])[facet];
      });
      found.sort(newestFirst);
      return { total: found.length, counts: counts, ordered: function (from, to) {
        return found.slice(from, to).map(function (d) { return d.ref; });
      } };
    });
  }

  /* A browse by one value that most rulings have: the rulings *without* it are fewer, and
   * the counts are the site's minus theirs. */
  function browseWithout(facet, file, filters) {
    return get(file).then(function (data) {
      var without = decodeFacet(data), lacking = {};
      without.forEach(function (d) { lacking[d.ref] = true; });
      var total = m.counts.ruling - without.length;
      var all = globalCounts("ruling"), minus = facetCounts(without, {});
      var counts = { kind: { ruling: total, property: 0 } };
      FACETS.forEach(function (f) {
        if (f === "kind") return;
        if (f === facet) { counts[f] = globalCounts(filters.kind)[f]; return; }
        counts[f] = {};
        Object.keys(all[f]).forEach(function (v) { counts[f][v] = all[f][v] - (minus[f][v] || 0); });
      });
      return { total: total, counts: counts, ordered: function (from, to) {
        var refs = [], seen = 0;
        for (var ref = m.counts.ruling - 1; ref >= 0 && refs.length < to - from; ref--) {
          if (!lacking[ref] && seen++ >= from) refs.push(ref);
        }
        return refs;
      } };
    });
  }

  function order(ref) { return isRuling(ref) ? m.propertyBase + ref : m.propertyBase - (ref - m.propertyBase); }
  function newestFirst(a, b) { return order(b.ref) - order(a.ref); }

  /* --- a search -------------------------------------------------------------------- */

  function readFilters() {
    var f = {};
    FACETS.forEach(function (name) {
      var el = form.elements[name];
      if (el && el.value) f[name] = el.value;
    });
    return f;
  }

  function run(page) {
    var text = input.value;
    var filters = readFilters();
    page = page || 1;
    writeURL(text, filters, page);
    var mine = ++generation;
    app.setAttribute("data-state", "busy");
    list.removeAttribute("data-total");
    say("در حال جست‌وجو…");
    loadManifest().then(function () {
      fetchedNow = 0;
      var t0 = performance.now();
      var words = tokensOf(text);
      if (!words.length && text.trim()) {
        return { total: 0, counts: globalCounts(filters.kind), ordered: function () { return []; }, unreadable: true };
      }
      if (!words.length) {
        if (!Object.keys(filters).length) return null;
        return browse(filters);
      }
      return match(text, false).then(function (r) {
        if (r.hits.length || queryNumber(text) !== null) return r;
        return match(text, true);
      }).then(function (r) { return answer(r, text, filters); }).then(function (a) {
        a.lunrMs = performance.now() - t0;
        return a;
      });
    }).then(function (result) {
      if (mine !== generation) return;
      if (!result) {
        clearResults();
        fillCounts(globalCounts(filters.kind));
        done("شماره رأی، شماره پرونده، نشانی، محله یا نام عضو کمیسیون را بنویسید، یا با فهرست‌های زیر مرور کنید.");
        return;
      }
      return show(result, text, filters, page, mine);
    }).catch(fail);
  }

  /* A word or number query, filtered: what show() needs. */
  function answer(r, text, filters) {
    var docs = r.hits.map(function (h) { return { ref: h.ref, code: r.codes[h.ref], score: h.score, exact: h.exact }; });
    var found = docs.filter(function (d) { return passes(d.ref, d.code, filters); });
    found.sort(function (a, b) { return (b.score - a.score) || newestFirst(a, b); });
    var exact = {};
    found.forEach(function (d) { if (d.exact) exact[d.ref] = true; });
    var result = {
      total: found.length, counts: facetCounts(docs, filters), exact: exact, ms: r.ms,
      ordered: function (from, to) { return found.slice(from, to).map(function (d) { return d.ref; }); }
    };
    if (queryNumber(text) !== null && !r.hits.length) {
      result.missingNumber = queryNumber(text);
      var near = nearestNumbers(result.missingNumber, r.datas);
      return spelledAsPages(near).then(function (spelled) {
        result.suggestions = spelled;
        return result;
      });
    }
    return result;
  }

  /* Each identifier as its record's page writes it («1398-03-0016», not the indexed
   * «1398/03/0016»), read from the summary of a record that has it. */
  function spelledAsPages(near) {
    return summaries(near.map(function (n) { return n.ref; })).then(function (docs) {
      return near.map(function (n, i) {
        var written = isRuling(n.ref) ? [docs[i][1], docs[i][2]] : [docs[i][1]];
        return written.filter(function (w) { return canonicalNumber(w) === n.id; })[0] || n.id;
      });
    });
  }

  /* Whole identifiers near a number that no record has: those of the terms file where it
   * would be, by the longest shared beginning, then the closest last part. */
  function nearestNumbers(wanted, datas) {
    var ids = [], refOf = {};
    datas.forEach(function (data) {
      data.terms.forEach(function (entry) {
        entry[1].forEach(function (f) {
          // the id field's postings: its first ref delta is a ref
          if (f[0] === 0) { ids.push(entry[0]); refOf[entry[0]] = f[1]; }
        });
      });
    });
    function shared(t) { var n = 0; while (n < t.length && t[n] === wanted[n]) n++; return n; }
    function last(t) { var parts = t.match(/[0-9]+/g); return parts ? +parts[parts.length - 1] : Infinity; }
    var mine = last(wanted);
    return ids.sort(function (a, b) {
      return (shared(b) - shared(a)) || (Math.abs(last(a) - mine) - Math.abs(last(b) - mine)) || (a < b ? -1 : 1);
    }).slice(0, 5).map(function (id) { return { id: id, ref: refOf[id] }; });
  }

  function show(result, text, filters, page, mine) {
    var pages = Math.max(1, Math.ceil(result.total / PER_PAGE));
    page = Math.min(page, pages);
    var refs = result.ordered((page - 1) * PER_PAGE, page * PER_PAGE);
    return summaries(refs).then(function (docs) {
      if (mine !== generation) return;
      clearResults();
      fillCounts(result.counts);
      showEntities(text);
      var tokens = queryNumber(text) !== null ? [queryNumber(text)] : tokensOf(text);
      refs.forEach(function (ref, i) { list.appendChild(item(ref, docs[i], tokens, result.exact && result.exact[ref])); });
      list.setAttribute("start", String((page - 1) * PER_PAGE + 1));
      app.setAttribute("data-last-query-ms", (result.ms || 0).toFixed(1));
      app.setAttribute("data-last-query-files", String(fetchedNow));   // files fetched
      if (result.missingNumber) {
        say("هیچ رأی، پرونده یا ملکی با شماره‌ی «", result.missingNumber, "» ثبت نشده است.");
        showSuggestions(result.suggestions);
      } else if (result.unreadable) {
        say("این عبارت حرف یا رقمی برای جست‌وجو ندارد. شماره رأی، نشانی یا نامی را بنویسید.");
      } else if (!result.total) {
        say("نتیجه‌ای پیدا نشد" + (Object.keys(filters).length ? " (با این فیلترها)." : "."));
      } else {
        say(N.faNumber(result.total) + " نتیجه" + (text.trim() ? "" : "، جدیدترین اول") +
            (pages > 1 ? "؛ صفحه‌ی " + N.faNumber(page) + " از " + N.faNumber(pages) : ""));
      }
      showPages(page, pages, text, filters);
      list.setAttribute("data-total", String(result.total));
      app.setAttribute("data-state", "done");
    });
  }

  function summaries(refs) {
    var per = m.docsPerFile;
    return Promise.all(refs.map(function (ref) {
      var kind = isRuling(ref) ? "r" : "p";
      var n = isRuling(ref) ? ref : ref - m.propertyBase;
      var file = Math.floor(n / per), hash = m.docs[kind].substr(file * m.hashChars, m.hashChars);
      return get("docs-" + kind + "-" + file + "." + hash + ".json").then(function (block) { return block[n % per]; });
    }));
  }

  /* --- the page -------------------------------------------------------------------- */

  function clearResults() {
    list.textContent = "";
    entities.textContent = "";
    suggestions.textContent = "";
    pager.textContent = "";
    entities.hidden = suggestions.hidden = pager.hidden = true;
  }

  function fillFilters() {
    var params = new URLSearchParams(location.search);
    var years = m.years.map(function (y) { return [String(y[0]), N.toPersianDigits(y[0])]; });
    var districts = [];
    for (var d = 1; d <= m.districts; d++) districts.push([String(d), "منطقه " + N.toPersianDigits(d)]);
    addOptions("district", districts);
    addOptions("year", years);
    addOptions("stage", m.stages.map(function (v) { return [v, v]; }));
    addOptions("type", m.types.map(function (v) { return [v, v]; }));
    addOptions("decision", m.decisions.map(function (v) { return [v, v]; }));
    addOptions("member", m.members.map(function (x) { return [memberValue(x), x[1] + " (" + m.roles[x[0]] + ")"]; }));
    FACETS.forEach(function (name) {
      if (params.get(name)) {
        form.elements[name].value = params.get(name);
        document.getElementById("search-filters-box").open = true;
      }
    });
    fillCounts(globalCounts(params.get("kind")));
    app.setAttribute("data-filters", "ready");
  }

  function addOptions(name, pairs) {
    var select = form.elements[name];
    pairs.forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      option.setAttribute("data-label", pair[1]);
      select.appendChild(option);
    });
  }

  /* Each option shows how many documents of the current query have that value. */
  function fillCounts(counts) {
    FACETS.forEach(function (facet) {
      var select = form.elements[facet];
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) return;
        var n = (counts[facet] && counts[facet][option.value]) || 0;
        var label = option.getAttribute("data-label") || option.textContent.replace(/ \([۰-۹٬]+\)$/, "");
        option.setAttribute("data-label", label);
        option.setAttribute("data-count", String(n));
        option.textContent = label + " (" + N.faNumber(n) + ")";
      });
    });
  }

  /* Members, districts and neighbourhoods that the query names, above the results. */
  function showEntities(text) {
    var tokens = tokensOf(text).filter(function (t) { return !hasDigit(t) && t.length >= 2; });
    var digits = tokensOf(text).filter(hasDigit);
    var found = [];
    if (tokens.length) {
      m.members.forEach(function (x) {
        if (names(x[1], tokens)) found.push(["عضو کمیسیون", x[1], x[2]]);
      });
      m.places.forEach(function (place) {
        if (names(place[0], tokens)) {
          place[1].forEach(function (d) {
            found.push(["محله", place[0] + "، منطقه " + N.toPersianDigits(d), path("district", {number: d})]);
          });
        }
      });
    }
    if (tokens.length === 1 && N.fold("منطقه").indexOf(tokens[0]) === 0 && digits.length === 1 &&
        +digits[0] >= 1 && +digits[0] <= m.districts) {
      found.unshift(["منطقه", "منطقه " + N.toPersianDigits(+digits[0]), path("district", {number: +digits[0]})]);
    }
    found.slice(0, 6).forEach(function (e) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = site + e[2];
      a.textContent = e[1];
      var kind = document.createElement("span");
      kind.className = "result-label";
      kind.textContent = e[0] + ": ";
      li.appendChild(kind);
      li.appendChild(a);
      entities.appendChild(li);
    });
    entities.hidden = !found.length;
  }

  /* Every token begins a word of the name (or the tokens, joined, are the name without spaces). */
  function names(name, tokens) {
    var folded = N.fold(name);
    var parts = folded.split(/\s+/);
    var joined = folded.replace(/\s+/g, "");
    return tokens.join("") === joined || tokens.every(function (t) {
      return parts.some(function (p) { return p.indexOf(t) === 0 && (t.length >= PREFIX_FROM || p === t); });
    });
  }

  function showSuggestions(numbers) {
    if (!numbers.length) return;
    var p = document.createElement("p");
    p.textContent = "شماره‌های نزدیک: ";
    numbers.forEach(function (n, i) {
      var a = document.createElement("a");
      a.href = "?q=" + encodeURIComponent(n);
      var bdi = document.createElement("bdi");
      bdi.textContent = N.toPersianDigits(n);
      a.appendChild(bdi);
      a.addEventListener("click", function (event) {
        event.preventDefault();
        input.value = n;
        run(1);
      });
      if (i) p.appendChild(document.createTextNode("، "));
      p.appendChild(a);
    });
    suggestions.appendChild(p);
    suggestions.hidden = false;
  }

  function showPages(page, pages, text, filters) {
    if (pages < 2) return;
    [[page - 1, "صفحه‌ی قبل", page > 1], [page + 1, "صفحه‌ی بعد", page < pages]].forEach(function (p) {
      if (!p[2]) return;
      var a = document.createElement("a");
      a.href = urlOf(text, filters, p[0]);
      a.textContent = p[1];
      a.setAttribute("data-page", String(p[0]));
      a.addEventListener("click", function (event) {
        event.preventDefault();
        run(p[0]);
        window.scrollTo(0, 0);
      });
      pager.appendChild(a);
    });
    pager.hidden = false;
  }

  function item(ref, d, tokens, exact) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    var title = document.createElement("h2");
    var kind = isRuling(ref) ? "ruling" : "property";
    if (kind === "ruling") {
      link.href = site + path("ruling", {slug: d[0]});
      append(title, "رأی شماره ", tokens);
      append(title, d[1], tokens, true);
      // «،», not «·»: a middle dot beside Persian digits reads as a zero («۲۸۴ · ۳» as «۲۸۴۰۳»).
      title.appendChild(document.createTextNode("، " + d[11]));
      line(li, "پرونده", d[2], tokens, true);
      line(li, "منطقه و محله", "منطقه " + d[4] + (d[5] ? "، " + d[5] : ""), tokens);
      if (d[10]) line(li, "نشانی", d[10], tokens);
      line(li, "اعضا", d[7].join("، "), tokens);
      if (d[8].length) line(li, "تخلف", d[8].join("، "), tokens);
      if (d[9].length) line(li, "رأی", d[6] + "؛ " + d[9].join("، "), tokens);
    } else {
      link.href = site + path("property", {slug: d[0]});
      append(title, d[2], tokens);
      line(li, "کد ملک", d[1], tokens, true);
      line(li, "منطقه و محله", "منطقه " + d[3] + (d[4] ? "، " + d[4] : ""), tokens);
      if (d[7]) line(li, "نشانی", d[7], tokens);
      line(li, "کاربری", d[5] + "؛ " + d[6], tokens);
    }
    link.appendChild(title);
    li.insertBefore(link, li.firstChild);
    li.className = "result result-" + kind + (exact ? " result-exact" : "");
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

  /* Text with the words that match a query token wrapped in <mark>, numbers in <bdi> so that
   * «۱۴۰۲/۳/۱۵۴۷» is not laid out backwards inside Persian text; DOM nodes, never HTML. */
  function append(parent, text, tokens, isolate) {
    var holder = isolate ? document.createElement("bdi") : parent;
    String(text).split(/(\s+)/).forEach(function (word) {
      var hit = highlighted(N.fold(word), tokens);
      var node = isolate ? document.createTextNode(N.toPersianDigits(word)) : numbersIsolated(word);
      if (hit) {
        var mark = document.createElement("mark");
        mark.appendChild(node);
        node = mark;
      }
      holder.appendChild(node);
    });
    if (isolate) parent.appendChild(holder);
  }

  /* A shown word matches a number token when it is that number or has it as a part, and a
   * word token when it begins with it (or, for a typo, with its first four letters). */
  function highlighted(folded, tokens) {
    if (!folded) return false;
    var number = canonicalNumber(folded.replace(/[^0-9a-z\/\-]/g, ""));
    return tokens.some(function (t) {
      if (hasDigit(t)) return number === t || number.split("/").indexOf(t) >= 0;
      return folded.indexOf(t) === 0 || (t.length >= FUZZY_FROM && folded.indexOf(t.slice(0, 4)) === 0);
    });
  }

  /* «۱۴۰۰-۰۵-۰۰۴۰» inside Persian text: the number isolated, the punctuation around it not. */
  function numbersIsolated(word) {
    var holder = document.createDocumentFragment();
    word.split(/([0-9]+(?:[\/\-][0-9]+)+)/).forEach(function (part, i) {
      if (!part) return;
      var text = document.createTextNode(N.toPersianDigits(part));
      if (i % 2) {
        var bdi = document.createElement("bdi");
        bdi.appendChild(text);
        holder.appendChild(bdi);
      } else {
        holder.appendChild(text);
      }
    });
    return holder;
  }

  /* The status line; a number in it (the second argument) is isolated from the Persian text. */
  function say(text, number, rest) {
    status.textContent = text;
    if (number === undefined) return;
    var bdi = document.createElement("bdi");
    bdi.textContent = N.toPersianDigits(number);
    status.appendChild(bdi);
    status.appendChild(document.createTextNode(rest));
  }

  function done(text) {
    say(text);
    app.setAttribute("data-state", "done");
  }

  function fail(error) {
    say("جست‌وجو انجام نشد. لطفاً دوباره تلاش کنید یا از فهرست‌ها استفاده کنید.");
    app.setAttribute("data-state", "error");
    if (window.console) console.warn(error);
  }

  function urlOf(text, filters, page) {
    var params = new URLSearchParams();
    if (text) params.set("q", text);
    FACETS.forEach(function (name) { if (filters[name]) params.set(name, filters[name]); });
    if (page > 1) params.set("page", String(page));
    return location.pathname + (params.toString() ? "?" + params.toString() : "");
  }

  function writeURL(text, filters, page) {
    history.replaceState(null, "", urlOf(text, filters, page));
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(1); }, 120);
  });
  form.addEventListener("change", function () { run(1); });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(1); });

  // What tests/test_search_browser.py checks against tests/search_query_vectors.json.
  window.ShafafSearch = { queryNumber: function (text) { return queryNumber(text); } };
  app.hidden = false;
  var params = new URLSearchParams(location.search);
  if (params.get("q")) input.value = params.get("q");
  var headerBox = document.getElementById("site-search");
  if (headerBox && params.get("q")) headerBox.value = params.get("q");
  var startPage = Math.max(1, parseInt(params.get("page"), 10) || 1);
  loadManifest().then(function () { run(startPage); }).catch(fail);
})();
