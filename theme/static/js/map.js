// The registry's maps: properties/map/ (every property of the GeoJSON, clustered, filtered by
// the form the page declares) and the small map of a property page (one marker, Leaflet
// loaded only when the map scrolls near). Without scripts both stay hidden: the map page lists
// its properties, a property page keeps its coordinates and map links.
// Text from the data reaches the page only through textContent, never as HTML.
(function () {
  "use strict";

  // Numbers as every page writes them (normalise.js, pinned to display.fa_number by
  // tests/normalise_vectors.json); the templates load it before this script.
  var N = window.ShafafNormalise;
  // A GeoJSON value as the page's options spell it (map_page.option_value): text as it is,
  // a number or a flag as JSON.
  function optionValue(value) {
    return typeof value === "string" ? value : JSON.stringify(value);
  }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // A line under the map (the page's own, or one made for it) that a screen reader reads out.
  function say(el, text) {
    var status = el.nextElementSibling;
    if (!status || !status.classList.contains("map-status")) {
      status = document.createElement("p");
      status.className = "map-status";
      status.setAttribute("role", "status");
      el.insertAdjacentElement("afterend", status);
    }
    status.textContent = text;
    status.hidden = false;
  }

  // The base map from the MUNICIPALITY setting; the attribution is plain text made a link here.
  function addTiles(map, el) {
    var tiles = el.getAttribute("data-tiles");
    if (!tiles) { return; }
    var text = escapeHtml(el.getAttribute("data-attribution") || "");
    var link = el.getAttribute("data-attribution-url");
    var attribution = link ? '<a href="' + escapeHtml(link) + '">' + text + "</a>" : text;
    var layer = L.tileLayer(tiles, { attribution: attribution, maxZoom: 19 });
    // Offline or blocked tiles: say so once; markers and district names do not need them.
    layer.once("tileerror", function () {
      say(el, el.getAttribute("data-tiles-failed"));
    });
    layer.addTo(map);
  }

  function newMap(el, options) {
    el.hidden = false;
    var map = L.map(el, Object.assign({ zoomControl: false, minZoom: 8, maxZoom: 18 }, options || {}));
    // The page reads right to left: the zoom buttons stand at the start (right), the
    // attribution at the end (left).
    L.control.zoom({ position: "topright", zoomInTitle: "بزرگ‌نمایی", zoomOutTitle: "کوچک‌نمایی" }).addTo(map);
    map.attributionControl.setPosition("bottomleft");
    map.attributionControl.setPrefix('<a href="https://leafletjs.com/" hreflang="en">Leaflet</a>');
    addTiles(map, el);
    return map;
  }

  function pin(latlng, title, district) {
    return L.marker(latlng, {
      icon: L.divIcon({ className: "map-pin", iconSize: [18, 18] }),
      title: title, keyboard: true, riseOnHover: true, district: district
    });
  }
  // What a cluster's title says: the districts of the properties it holds, a name left out
  // being one of them.
  function districtsOf(markers) {
    var seen = {};
    markers.forEach(function (marker) { seen[marker.options.district] = true; });
    var numbers = Object.keys(seen).map(Number).sort(function (a, b) { return a - b; }).map(N.toPersianDigits);
    return (numbers.length > 1 ? "منطقه‌های " : "منطقه ") + numbers.join("، ");
  }

  // --- properties/map/ ---------------------------------------------------------------
  // Each district's name on its properties' centroid, in the order the names claim their place
  // when they crowd (uncrowd): the districts with more properties first.
  function districtLabels(map, features) {
    var sums = {};
    features.forEach(function (f) {
      var d = f.properties.district, c = f.geometry.coordinates;
      if (!sums[d]) { sums[d] = [0, 0, 0]; }
      sums[d][0] += c[1]; sums[d][1] += c[0]; sums[d][2] += 1;
    });
    var pane = map.createPane("districts");
    pane.classList.add("district-pane");
    return Object.keys(sums).map(function (d) {
      var s = sums[d];
      var marker = L.marker([s[0] / s[2], s[1] / s[2]], {
        pane: "districts", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "district-label", html: "<span>منطقه " + N.toPersianDigits(d) + "</span>", iconSize: null })
      }).addTo(map);
      return { marker: marker, properties: s[2], district: Number(d) };
    }).sort(function (a, b) { return b.properties - a.properties || a.district - b.district; });
  }

  // A district's name stands beside its point, in the first of the places around it (PLACES)
  // that covers no other name, no cluster's count, no pin and no control, and lies inside the
  // map; with no such place it is left out at this zoom. Names placed only
  // above their points left six of the twelve out at 1280 px, and a phone's whole-city view
  // hid names and counts under each other before any were left out. The busier districts
  // choose first (districtLabels' order), so the same view always gives the same names. Each
  // zoom places them again; every marker stays where it was, its popup and its cluster's title
  // name its district, and so does the list under the map. The boxes come from the map's
  // projection, not from the screen: after a zoom the clusters are still gliding into place.
  function box(at, left, top, width, height) {
    return { left: at.x + left, right: at.x + left + width, top: at.y + top, bottom: at.y + top + height };
  }
  function overlap(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  function within(a, b) {
    return b.left <= a.left && a.right <= b.right && b.top <= a.top && a.bottom <= b.bottom;
  }
  // A name's nearest edge is GAP px from its point, clear of the count of a cluster drawn on it
  // (40 px across), or across a corner the same distance; then, where a crowded view left a
  // name no room at GAP, twice and three times as far (at 1280 px by 900, two of the sample's
  // twelve names found room only there). Each place gives the name's top left corner from its
  // point for a name of width w and height h. Above comes first: it is where map.css sets a
  // name before it is placed.
  var GAP = 22;
  var PLACES = [GAP, 2 * GAP, 3 * GAP].reduce(function (places, gap) {
    var slant = Math.round(gap / Math.SQRT2);
    return places.concat([
      function (w, h) { return [-w / 2, -gap - h]; },        // above
      function (w, h) { return [-w / 2, gap]; },             // below
      function (w, h) { return [gap, -h / 2]; },             // right, where a right-to-left line starts
      function (w, h) { return [-gap - w, -h / 2]; },        // left
      function (w, h) { return [slant, -slant - h]; },       // above right
      function (w, h) { return [-slant - w, -slant - h]; },  // above left
      function (w, h) { return [slant, slant]; },            // below right
      function (w, h) { return [-slant - w, slant]; }        // below left
    ]);
  }, []);
  // A name may lie on a cluster's pale rim, not on its middle, where its count is; a pin is
  // small and all of it marks the property: no name covers any of it.
  var CLUSTER_CORE = 0.5;
  // The map's view and its controls (zoom buttons, attribution), in the layer's points.
  function frame(map) {
    var origin = map.containerPointToLayerPoint([0, 0]), size = map.getSize();
    var container = map.getContainer(), outer = container.getBoundingClientRect();
    var controls = Array.prototype.map.call(container.querySelectorAll(".leaflet-control"), function (control) {
      // container points start inside the map's border
      var r = control.getBoundingClientRect(), left = outer.left + container.clientLeft, top = outer.top + container.clientTop;
      return box(origin, r.left - left, r.top - top, r.width, r.height);
    });
    return { view: box(origin, 0, 0, size.x, size.y), controls: controls };
  }
  function uncrowd(map, labels, markers, cluster) {
    var around = frame(map), taken = around.controls.slice(), drawn = {};
    markers.forEach(function (marker) {
      var visible = cluster.getVisibleParent(marker);
      var icon = visible && visible.getElement();
      if (!icon || drawn[L.stamp(visible)]) { return; }
      drawn[L.stamp(visible)] = true;
      // an icon is centred on its point (Leaflet's default anchor for a sized icon)
      var core = visible === marker ? 1 : CLUSTER_CORE;
      var width = icon.offsetWidth * core, height = icon.offsetHeight * core;
      taken.push(box(map.latLngToLayerPoint(visible.getLatLng()), -width / 2, -height / 2, width, height));
    });
    labels.forEach(function (label) {
      var name = label.marker.getElement().firstElementChild;
      var at = map.latLngToLayerPoint(label.marker.getLatLng());
      var width = name.offsetWidth, height = name.offsetHeight, chosen = null;
      PLACES.some(function (place) {
        var corner = place(width, height), spot = box(at, corner[0], corner[1], width, height);
        if (!within(spot, around.view) || taken.some(function (other) { return overlap(spot, other); })) { return false; }
        chosen = corner;
        taken.push(spot);
        return true;
      });
      name.style.visibility = chosen ? "" : "hidden";
      if (chosen) { name.style.transform = "translate(" + chosen[0] + "px, " + chosen[1] + "px)"; }
    });
  }

  function popup(feature, href) {
    var p = feature.properties;
    var box = document.createElement("div");
    box.className = "map-popup";
    box.setAttribute("dir", "rtl");
    var link = document.createElement("a");
    link.href = href;
    link.textContent = N.toPersianDigits(p.title);
    var title = document.createElement("p");
    title.className = "map-popup-title";
    title.appendChild(link);
    var meta = document.createElement("p");
    meta.textContent = "منطقه " + N.toPersianDigits(p.district) + "، " + p.land_use + "، " + p.occupancy;
    box.appendChild(title);
    box.appendChild(meta);
    return box;
  }

  function registryMap(el) {
    var form = document.getElementById("map-filters");
    var count = document.getElementById("map-count");
    var selects = form ? Array.prototype.slice.call(form.querySelectorAll("select")) : [];
    var root = el.getAttribute("data-root");
    var pattern = el.getAttribute("data-property-url");
    var b = el.getAttribute("data-bounds").split(",").map(Number);
    var city = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
    // Quarter zoom steps: the city fills a phone's map instead of a quarter of it.
    var map = newMap(el, { zoomSnap: 0.25 });
    map.fitBounds(city);
    var labels = [], onMap = [];
    // District names are set smaller when the whole city is in the map, or the map is a phone's
    // (one step in at 360 px, full-size names left room for none of the nine in view, smaller ones
    // for two), and those that would crowd are left out.
    function placeLabels() {
      el.classList.toggle("zoomed-out", map.getZoom() < 11.5 || el.clientWidth < 480);
      uncrowd(map, labels, onMap, cluster);
    }
    var cluster = L.markerClusterGroup({
      showCoverageOnHover: false, maxClusterRadius: 40, spiderfyOnMaxZoom: true, chunkedLoading: true,
      // markers added in chunks are placed (and crowd the names) only once the last chunk is in
      chunkProgress: function (done, total) { if (done === total) { placeLabels(); } },
      iconCreateFunction: function (group) {
        var n = group.getChildCount();
        return L.divIcon({
          html: '<span title="' + escapeHtml(districtsOf(group.getAllChildMarkers())) + '">' + N.faNumber(n) +
                '<span class="visually-hidden"> ملک</span></span>',
          className: "marker-cluster" + (n < 10 ? " small" : n < 100 ? " medium" : " large"),
          iconSize: L.point(40, 40)
        });
      }
    });
    map.addLayer(cluster);

    fetch(el.getAttribute("data-geojson")).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (data) {
      var features = data.features;
      var entries = features.map(function (f) {
        var c = f.geometry.coordinates;
        var href = root + pattern.replace("{slug}", encodeURIComponent(f.properties.slug));
        var marker = pin([c[1], c[0]], N.toPersianDigits(f.properties.title), f.properties.district).bindPopup(popup(f, href));
        return { feature: f, marker: marker };
      });
      labels = districtLabels(map, features);
      // A zoom's end, a pan that draws more clusters, and the clusters' own split or merge each
      // change what the names may cover.
      map.on("zoomend moveend", placeLabels);
      cluster.on("animationend", placeLabels);
      var items = {};
      document.querySelectorAll(".map-list li[data-slug]").forEach(function (li) {
        items[li.getAttribute("data-slug")] = li;
      });

      function apply() {
        var chosen = selects.filter(function (s) { return s.value !== ""; });
        var shown = [];
        entries.forEach(function (e) {
          var ok = chosen.every(function (s) {
            // A select without data-field lists yes/no columns (the flags): its value names the column.
            if (!s.hasAttribute("data-field")) { return e.feature.properties[s.value] === true; }
            return optionValue(e.feature.properties[s.getAttribute("data-field")]) === s.value;
          });
          if (ok) { shown.push(e.marker); }
          var li = items[e.feature.properties.slug];
          if (li) { li.hidden = !ok; }
        });
        cluster.clearLayers();
        onMap = shown;
        cluster.addLayers(shown);
        if (shown.length) {
          map.fitBounds(cluster.getBounds(), { padding: [24, 24], maxZoom: 16 });
        }
        count.querySelector("[data-shown]").textContent = N.faNumber(shown.length);
        count.querySelector("[data-total]").textContent = N.faNumber(entries.length);
        // Each district's count in the list beside the map says what is shown in it now.
        document.querySelectorAll(".map-district").forEach(function (section) {
          var visible = section.querySelectorAll("li[data-slug]:not([hidden])").length;
          section.hidden = visible === 0;
          section.querySelector(".count").textContent = "(" + N.faNumber(visible) + " ملک)";
        });
      }
      selects.forEach(function (s) { s.addEventListener("change", apply); });
      if (form) {
        form.addEventListener("reset", function () { setTimeout(apply, 0); });
        form.addEventListener("submit", function (event) { event.preventDefault(); });
        form.hidden = false;
      }
      count.hidden = false;
      apply();
    }).catch(function () {
      say(el, "داده‌ی نقشه بار نشد؛ فهرست املاک زیر نقشه همچنان کامل است.");
    });
  }

  // --- a property page's small map ----------------------------------------------------
  function load(tag, attributes) {
    return new Promise(function (resolve, reject) {
      var node = document.createElement(tag);
      Object.keys(attributes).forEach(function (k) { node.setAttribute(k, attributes[k]); });
      node.onload = resolve;
      node.onerror = reject;
      document.head.appendChild(node);
    });
  }

  function propertyMap(el) {
    var latlng = [Number(el.getAttribute("data-lat")), Number(el.getAttribute("data-lon"))];
    var styles = JSON.parse(el.getAttribute("data-styles"));
    var started = false;
    function start() {
      if (started) { return; }
      started = true;
      var ready = Promise.all(styles.map(function (href) { return load("link", { rel: "stylesheet", href: href }); }));
      var script = window.L ? Promise.resolve() : load("script", { src: el.getAttribute("data-leaflet") });
      Promise.all([ready, script]).then(function () {
        var map = newMap(el, { scrollWheelZoom: false });
        map.setView(latlng, 16);
        pin(latlng, el.getAttribute("data-title")).addTo(map);
      });
    }
    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (seen) {
        if (seen.some(function (e) { return e.isIntersecting; })) { observer.disconnect(); start(); }
      }, { rootMargin: "200px" });
      el.hidden = false;  // takes its place so that it can come into view
      observer.observe(el);
    } else {
      start();
    }
  }

  var registry = document.getElementById("registry-map");
  if (registry && window.L) { registryMap(registry); }
  document.querySelectorAll(".property-map[data-lat]").forEach(propertyMap);
}());
