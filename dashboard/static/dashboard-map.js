/* The dashboard's map layers. The base map calls init() once; each view arrives as a feature group whose
   script calls the add* functions and then finishView(). streamlit-folium swaps that group in place, so the
   map, its basemap and its pan and zoom live for the whole session.

   Every piece of text from the data is set with textContent, so titles, places and notes are shown as
   text and never parsed as HTML; a link is made only from an http(s) URL. Colours and sizes come from
   Python (init's config): there is no colour in this file. */
(function () {
  "use strict";

  var config = null;      // styles, colours and the card URL, from Python
  var theMap = null;
  var highlight = null;   // the ring around the selected event; lives on the map, not in a view
  var card = null;        // the open card: {popup, eventId}
  var dotLayers = [];     // dense dot layers on the map, for the one map-level click handler
  var cardCache = {};     // row -> card fields fetched for a dense dot
  var fittedOnce = false;
  var SAFE_URL = /^https?:\/\//i;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Paths (zones, legs) are not focusable in Leaflet: make each a named button that Enter or Space clicks.
  function focusable(layer, name) {
    layer.on("add", function () {
      var node = layer.getElement();
      if (!node) return;
      node.setAttribute("tabindex", "0");
      node.setAttribute("role", "button");
      node.setAttribute("aria-label", name);
      L.DomEvent.on(node, "keydown", function (e) {
        if (e.key !== "Enter" && e.key !== " ") return;
        L.DomEvent.preventDefault(e);
        layer.fire("click", { latlng: layer.getCenter ? layer.getCenter() : layer.getLatLng(), originalEvent: e }, true);
      });
    });
  }

  // A marker's accessible name (what it is and when), and Enter or Space selects it as a click does
  // (Leaflet makes markers focusable, but its Enter only opens a bound popup).
  function named(marker, name) {
    marker.on("add", function () {
      var node = marker.getElement();
      if (!node) return;
      node.setAttribute("role", "button");
      node.setAttribute("aria-label", name);
      L.DomEvent.on(node, "keydown", function (e) {
        if (e.key !== "Enter" && e.key !== " ") return;
        L.DomEvent.preventDefault(e);
        L.DomEvent.stopPropagation(e);
        marker.fire("click", { latlng: marker.getLatLng(), originalEvent: e }, true);
      });
    });
    return marker;
  }

  function styleOf(eventType) {
    return config.types[eventType] || config.fallback_type;
  }

  // ---- cards -------------------------------------------------------------------------------------

  function cardNode(fields) {
    var box = el("div", "dm-card");
    box.appendChild(el("div", "dm-title", fields.title));
    var meta = [fields.type_label, fields.when].filter(Boolean).join(" · ");
    if (meta) box.appendChild(el("div", "dm-meta", meta));
    if (fields.place) box.appendChild(el("div", "dm-meta", fields.place));
    if (fields.distance) box.appendChild(el("div", "dm-meta", fields.distance));
    if (fields.note) box.appendChild(el("div", "dm-meta", fields.note));
    if (fields.precision_note) box.appendChild(el("div", "dm-warn", fields.precision_note));
    if (fields.source_url && SAFE_URL.test(fields.source_url)) {
      var link = el("a", "dm-source", "Source: " + (fields.source_name || "open") + " \u2197");
      link.href = fields.source_url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      box.appendChild(link);
    } else if (fields.source_name) {
      box.appendChild(el("div", "dm-meta", "Source: " + fields.source_name + " (no link published)"));
    }
    return box;
  }

  function openCard(latlng, fields) {
    if (card) theMap.closePopup(card.popup);
    var popup = L.popup({ className: "dm-card-popup", maxWidth: 300, autoPanPadding: [24, 24], closeButton: true })
      .setLatLng(latlng).setContent(cardNode(fields));
    popup.openOn(theMap);
    card = { popup: popup, eventId: fields.event_id || null };
    popup.on("remove", function () { if (card && card.popup === popup) card = null; });
  }

  function closeCard() {
    if (card) theMap.closePopup(card.popup);
    card = null;
  }

  function markSelected(latlng, offset) {
    clearHighlight();
    var dx = (offset || [0, 0])[0], dy = (offset || [0, 0])[1], size = config.ring.size;
    var ring = el("span", "dm-ring");
    ring.style.borderColor = config.colors.selected;
    ring.style.width = ring.style.height = size + "px";
    highlight = L.marker(latlng, { icon: L.divIcon({ className: "dm-ring-icon", html: ring, iconSize: [size, size],
      iconAnchor: [size / 2 - dx, size / 2 - dy] }), interactive: false, keyboard: false, zIndexOffset: -100 });
    highlight.addTo(theMap);
  }

  function clearHighlight() {
    if (highlight) theMap.removeLayer(highlight);
    highlight = null;
  }

  function select(latlng, offset, fields) {
    markSelected(latlng, offset);
    openCard(latlng, fields);
    window.__dmCardAt = performance.now();  // the benchmark times click -> card with it
  }

  // ---- base map ----------------------------------------------------------------------------------

  function init(map, cfg) {
    config = cfg;
    theMap = map;
    var pane = map.createPane("dmBasemap");
    pane.style.zIndex = 250;  // under the overlay pane: land fetched late must not cover the events
    pane.style.pointerEvents = "none";
    focusWithoutScrolling(map);
    map.on("click", pickDot);
    map.on("mousemove", hoverDot);
    var fit = L.control({ position: "topleft" });
    fit.onAdd = function () {
      var button = el("button", "dm-fit", "\u2922");
      button.type = "button";
      button.title = "Show every event in view";
      button.setAttribute("aria-label", "Show every event in view");
      L.DomEvent.disableClickPropagation(button);
      L.DomEvent.on(button, "click", function () { if (window.__dmView) fitTo(window.__dmView.bounds); });
      return button;
    };
    fit.addTo(map);
    outside = L.control({ position: "topright" });
    outside.onAdd = function () {
      var button = el("button", "dm-outside");
      button.type = "button";
      button.style.display = "none";
      L.DomEvent.disableClickPropagation(button);
      L.DomEvent.on(button, "click", function () { if (window.__dmView) fitTo(window.__dmView.bounds); });
      return button;
    };
    outside.addTo(map);
    map.on("moveend", countOutside);
  }

  // Events the map does not show at this pan and zoom are never silently cut: a button says how many
  // and shows them all.
  var outside = null, viewPoints = null;
  function countOutside() {
    var button = outside && outside.getContainer();
    if (!button) return;
    var n = 0, bounds = theMap.getBounds();
    if (binsLayer && binsLayer.answer) n += binsLayer.answer.outside;
    var south = bounds.getSouth(), north = bounds.getNorth(), west = bounds.getWest(), east = bounds.getEast();
    (viewPoints || []).forEach(function (points) {
      for (var i = 0; i < points.lat.length; i++) {
        var lat = points.lat[i], lon = points.lon[i];
        if (lat < south || lat > north || lon < west || lon > east) n++;
      }
    });
    button.textContent = n === 1 ? "1 event outside the map — show all" : n + " events outside the map — show all";
    button.style.display = n ? "" : "none";
  }

  // Leaflet focuses the map on mousedown (for its arrow keys). Inside an iframe that the page has partly
  // scrolled away, that focus scrolls the page to show the whole map between mousedown and mouseup, so
  // the click lands elsewhere and is lost. Focus without scrolling.
  function focusWithoutScrolling(map) {
    var keyboard = map.keyboard, container = map.getContainer();
    if (!keyboard || !keyboard.enabled()) return;
    L.DomEvent.off(container, "mousedown", keyboard._onMouseDown, keyboard);
    keyboard._onMouseDown = function () { if (!this._focused) container.focus({ preventScroll: true }); };
    L.DomEvent.on(container, "mousedown", keyboard._onMouseDown, keyboard);
  }

  // A response from the dashboard's own server, read as `as` ("json" or "arrayBuffer"); an error status fails.
  function fetchFrom(url, as) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error("map data not loaded from " + url + ": HTTP " + r.status);
      return r[as]();
    });
  }

  function withData(source) {
    // `source` is the data itself, or the URL of a payload the dashboard serves from memory.
    return typeof source === "string" ? fetchFrom(source, "json") : Promise.resolve(source);
  }

  function pending(group, promise) {
    (group.__dmPending = group.__dmPending || []).push(promise.catch(function (err) { console.error(err); }));
  }

  // Land on one canvas in its own pane: a few hundred country outlines as SVG paths cost the software
  // renderer far more to lay out and paint than one bitmap.
  // The land is context, the events are the content: fetch and paint the land once the first view is on
  // the map, so that half a megabyte of coastlines never delays the events.
  var firstPaint = new Promise(function (resolve) { firstPaintDone = resolve; });
  var firstPaintDone;

  function addBasemap(group, source) {
    var style = L.extend({ interactive: false }, config.basemap);
    var renderer = L.canvas({ pane: "dmBasemap", padding: 0.5 });
    pending(group, firstPaint.then(function () { return withData(source); }).then(function (data) {
      L.geoJSON(data, { style: style, interactive: false, pane: "dmBasemap", renderer: renderer }).addTo(group);
    }));
  }

  function addLegend(map, items, caption) {
    var legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var box = el("div", "dm-legend");
      var toggle = el("button", "dm-legend-title", caption);
      toggle.type = "button";
      toggle.setAttribute("aria-expanded", "true");
      var rows = el("div", "dm-legend-rows");
      items.forEach(function (item) {
        var row = el("div", "dm-legend-row");
        var swatch = el("span", "dm-swatch dm-swatch-" + item.shape);
        swatch.style.background = item.fill || item.color;
        swatch.style.borderColor = item.color;
        row.appendChild(swatch);
        row.appendChild(el("span", null, item.label));
        rows.appendChild(row);
      });
      L.DomEvent.on(toggle, "click", function () {
        var open = rows.style.display === "none";
        rows.style.display = open ? "" : "none";
        toggle.setAttribute("aria-expanded", String(open));
      });
      box.appendChild(toggle);
      box.appendChild(rows);
      // On a small map the legend would hide stops: it starts folded, one click away.
      if (map.getSize().x < config.legend_open_min_px) { rows.style.display = "none"; toggle.setAttribute("aria-expanded", "false"); }
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    legend.addTo(map);
  }

  // ---- a view's layers ---------------------------------------------------------------------------

  function addRoute(group, legs) {
    var c = config.colors;
    group.__dmLegLines = [];
    legs.forEach(function (leg) {
      var line = L.polyline(leg.path, { color: c.route, weight: 3, opacity: 0.85 });
      group.__dmLegLines.push(line);
      var fields = { title: leg.title, distance: leg.distance, when: leg.dates, note: leg.note };
      line.bindTooltip(cardNode(fields), { sticky: true, opacity: 0.95 });
      line.on("click", function (e) { openCard(e.latlng, fields); window.__dmCardAt = performance.now(); });
      focusable(line, leg.title + ", " + leg.distance + ", " + leg.dates);
      line.addTo(group);
      var arrow = el("span", "dm-arrow", "\u27a4");
      arrow.style.color = c.route;
      arrow.style.transform = "rotate(" + leg.arrow_angle + "deg)";
      L.marker(leg.arrow_at, { icon: L.divIcon({ className: "dm-arrow-icon", html: arrow, iconSize: [18, 18],
        iconAnchor: [9, 9] }), interactive: false, keyboard: false }).on("add", function (e) {
        e.target.getElement().setAttribute("aria-hidden", "true");
      }).addTo(group);
    });
  }

  function addZones(group, data) {
    var c = config.colors;
    L.geoJSON(data, {
      style: function () {
        return { color: c.zone, weight: 2, dashArray: "6 5", fillColor: c.zone_fill, fillOpacity: 0.16 };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var fields = L.extend({}, p.card, { note: p.name + " \u2014 approximate outline. " + p.note });
        layer.bindTooltip(cardNode({ title: p.name, precision_note: "Approximate outline", note: p.note }),
          { sticky: true, opacity: 0.95 });
        layer.on("click", function (e) { select(e.latlng, null, fields); });
        focusable(layer, "Drill zone: " + p.name + (p.card && p.card.when ? ", " + p.card.when : ""));
      }
    }).addTo(group);
  }

  function addEvents(group, source) {
    pending(group, withData(source).then(function (data) { drawEvents(group, data); }));
  }

  function remember(group, lats, lons) {
    (group.__dmPoints = group.__dmPoints || []).push({ lat: lats, lon: lons });
  }

  function drawEvents(group, data) {
    remember(group, data.features.map(function (f) { return f.geometry.coordinates[1]; }),
      data.features.map(function (f) { return f.geometry.coordinates[0]; }));
    L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        var p = feature.properties, s = styleOf(p.event_type);
        if (p.precision > 1) {
          // A halo sized to the uncertainty: near a place (2) or only the region (3).
          L.circle(latlng, { radius: config.halo_m[p.precision], color: s.color, weight: 1, dashArray: "4 4",
            fillColor: s.color, fillOpacity: 0.08, interactive: false }).addTo(group);
        }
        var dx = p.offset[0], dy = p.offset[1];
        var name = p.card.type_label + ": " + p.card.title + ", " + p.card.when;
        if (p.label) {
          var badge = el("span", "dm-stop-label", p.label);
          badge.style.background = s.color;
          return named(L.marker(latlng, { icon: L.divIcon({ className: "dm-stop", html: badge, iconSize: [24, 24],
            iconAnchor: [12 - dx, 12 - dy] }), riseOnHover: true, keyboard: true, zIndexOffset: 1000 }),
            "Stop " + p.label + ". " + name);
        }
        // A DivIcon, so that events at one place can be fanned out by a pixel offset; its shape tells the
        // type as well as its colour.
        var size = 2 * s.radius;
        var dot = el("span", "dm-dot dm-shape-" + s.shape + (p.precision > 1 ? " dm-dot-approx" : ""));
        dot.style.background = s.color;
        dot.style.width = dot.style.height = size + "px";
        return named(L.marker(latlng, { icon: L.divIcon({ className: "dm-dot-icon dm-type-" + p.event_type,
          html: dot, iconSize: [size, size], iconAnchor: [s.radius - dx, s.radius - dy] }), riseOnHover: true,
          keyboard: true }), name);
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindTooltip(cardNode({ title: p.card.title, when: p.card.when, place: p.card.place }),
          { direction: "top", opacity: 0.95 });
        layer.on("click", function () { select(layer.getLatLng(), p.offset, p.card); });
      }
    }).addTo(group);
  }

  function makeDot(color, radius, ratio, shape) {
    var r = radius + 1, canvas = document.createElement("canvas");
    canvas.width = canvas.height = Math.ceil(2 * r * ratio);
    var ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.beginPath();
    if (shape === "square") ctx.rect(r - radius * 0.9, r - radius * 0.9, radius * 1.8, radius * 1.8);
    else if (shape === "diamond") { ctx.moveTo(r, r - radius); ctx.lineTo(r + radius, r); ctx.lineTo(r, r + radius); ctx.lineTo(r - radius, r); ctx.closePath(); }
    else if (shape === "triangle") { ctx.moveTo(r, r - radius); ctx.lineTo(r + radius, r + radius * 0.8); ctx.lineTo(r - radius, r + radius * 0.8); ctx.closePath(); }
    else ctx.arc(r, r, radius, 0, 2 * Math.PI);
    ctx.fillStyle = color;
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = config.colors.dot_outline;
    ctx.stroke();
    return canvas;
  }

  // A canvas layer covers the map's visible area at the screen's pixel density; its 2D context, cleared.
  function fitCanvas(map, canvas, size, ratio) {
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
    canvas.width = size.x * ratio;
    canvas.height = size.y * ratio;
    canvas.style.width = size.x + "px";
    canvas.style.height = size.y + "px";
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  // Tens of thousands of events: one canvas per type, drawn from columns of numbers with no Leaflet object
  // per event. Clicks are answered by the map-level handler pickDot over every dots layer.
  var DotsLayer = L.Layer.extend({
    initialize: function (data, eventType) {
      this._data = data;
      this._type = eventType;
      var n = data.lat.length, d = Math.PI / 180, limit = 85.0511287798;  // Web Mercator's latitude limit
      this._x = new Float32Array(n);
      this._y = new Float32Array(n);
      // Each dot's place on the world square at zoom 0 (0..1), once: a redraw only scales and shifts it.
      this._mx = new Float64Array(n);
      this._my = new Float64Array(n);
      for (var i = 0; i < n; i++) {
        var sin = Math.sin(Math.max(Math.min(data.lat[i], limit), -limit) * d);
        this._mx[i] = data.lon[i] / 360 + 0.5;
        this._my[i] = 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI);
      }
    },
    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "dm-dots leaflet-zoom-hide");
      map.getPanes().overlayPane.appendChild(this._canvas);
      map.on("moveend zoomend resize", this._draw, this);
      dotLayers.push(this);
      this._draw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend zoomend resize", this._draw, this);
      dotLayers = dotLayers.filter(function (layer) { return layer !== this; }, this);
    },
    _draw: function () {
      var map = this._map, size = map.getSize(), ratio = window.devicePixelRatio || 1;
      var ctx = fitCanvas(map, this._canvas, size, ratio), lat = this._data.lat;
      var style = styleOf(this._type), radius = config.dot_radius;
      // One pre-rendered dot stamped with drawImage: software rasterising 100,000 arcs takes seconds.
      var sprite = this._sprite || (this._sprite = makeDot(style.color, radius, ratio, style.shape)), r = radius + 1;
      var w = Math.ceil(size.x), h = Math.ceil(size.y), taken = new Uint8Array(w * h);
      // Leaflet's own projection (EPSG:3857), without an object per dot: what latLngToContainerPoint computes.
      var scale = 256 * Math.pow(2, map.getZoom()), origin = map.getPixelOrigin(), pane = map._getMapPanePos();
      var ox = pane.x - origin.x, oy = pane.y - origin.y, mx = this._mx, my = this._my;
      for (var i = 0; i < lat.length; i++) {
        var x = scale * mx[i] + ox, y = scale * my[i] + oy;
        this._x[i] = x;
        this._y[i] = y;
        var px = Math.round(x), py = Math.round(y);
        if (px < -r || py < -r || px > w + r || py > h + r) continue;
        if (px >= 0 && py >= 0 && px < w && py < h) {
          if (taken[py * w + px]) continue;  // a dot is already on this pixel
          taken[py * w + px] = 1;
        }
        ctx.drawImage(sprite, px - r, py - r, 2 * r, 2 * r);
      }
    },
    nearest: function (point) {
      var best = -1, bestD = config.pick_px * config.pick_px;
      for (var i = 0; i < this._x.length; i++) {
        var dx = this._x[i] - point.x, dy = this._y[i] - point.y, d = dx * dx + dy * dy;
        if (d < bestD) { bestD = d; best = i; }
      }
      return best < 0 ? null : { index: best, d: bestD, layer: this };
    }
  });

  function nearestDot(point) {
    var best = null;
    dotLayers.forEach(function (layer) {
      var hit = layer.nearest(point);
      if (hit && (!best || hit.d < best.d)) best = hit;
    });
    return best;
  }

  function pickDot(e) {
    var hit = nearestDot(e.containerPoint);
    if (!hit) {
      var cell = binsLayer && binsLayer.cellAt(e.containerPoint);
      if (cell) theMap.setView(cell, Math.min(theMap.getZoom() + config.bin_zoom_step, theMap.getMaxZoom()));
      return;
    }
    var data = hit.layer._data, row = data.row[hit.index];
    var latlng = L.latLng(data.lat[hit.index], data.lon[hit.index]);
    var feature = { type: "Feature", properties: { row: row }, geometry: { type: "Point",
      coordinates: [latlng.lng, latlng.lat] } };
    // Tell streamlit-folium (it listens on the layer's group): the page then shows the details.
    hit.layer.fire("click", { latlng: latlng, layer: { toGeoJSON: function () { return feature; } },
      originalEvent: e.originalEvent }, true);
    markSelected(latlng, null);
    cardFor(row, data).then(function (fields) { select(latlng, null, fields); })
      .catch(function (err) { console.error("card not loaded:", err); });
  }

  function cardFor(row, data) {
    if (data.cards) return Promise.resolve(data.cards[data.row.indexOf(row)]);  // a standalone file
    if (cardCache[row]) return Promise.resolve(cardCache[row]);
    return fetchFrom(config.card_base + "/" + row, "json").then(function (fields) {
      cardCache[row] = fields;
      return fields;
    });
  }

  function hoverDot(e) {
    if (!dotLayers.length && !binsLayer) return;
    var over = nearestDot(e.containerPoint) || (binsLayer && binsLayer.cellAt(e.containerPoint));
    theMap.getContainer().style.cursor = over ? "pointer" : "";
  }

  // A packed payload (map_builder.packed_dense_payload): count, then float32 lat, lon and uint32 rows.
  function unpack(buffer) {
    var n = new Uint32Array(buffer, 0, 1)[0];
    return { lat: new Float32Array(buffer, 4, n), lon: new Float32Array(buffer, 4 + 4 * n, n),
      row: new Uint32Array(buffer, 4 + 8 * n, n) };
  }

  function withDots(source) {
    return typeof source === "string" ? fetchFrom(source, "arrayBuffer").then(unpack) : Promise.resolve(source);
  }

  function addDenseDots(group, source, eventType) {
    pending(group, withDots(source).then(function (data) {
      remember(group, data.lat, data.lon);
      group.addLayer(new DotsLayer(data, eventType));
    }));
  }

  // Far more events than a screen can show: the server's engine counts them per cell of the visible map,
  // split by type, and this layer draws each cell as a disc (its area by the log of the count, its slices
  // by type, the count written on it). At every pan and zoom it asks again; once few enough events are
  // inside the map, the answer holds the events themselves, drawn and clicked as dense dots.
  var binsLayer = null;
  var BinsLayer = L.Layer.extend({
    initialize: function (url, typeOrder) {
      this._url = url;
      this._types = typeOrder;
      this._asked = 0;
      this._cells = [];
      this._dots = [];
      this.answer = null;
      this.pending = null;
    },
    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "dm-bins leaflet-zoom-hide");
      map.getPanes().overlayPane.appendChild(this._canvas);
      map.on("moveend", this.ask, this);
      map.on("resize", this._draw, this);
      binsLayer = this;
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend", this.ask, this);
      map.off("resize", this._draw, this);
      this._showDots({});
      if (binsLayer === this) binsLayer = null;
      this._asked++;  // an answer still on its way is for a layer that is gone
    },
    // Ask for the map as it is now; the latest question wins. Returns a promise of the drawn answer.
    ask: function () {
      var map = this._map;
      if (!map) return Promise.resolve();
      var b = map.getBounds(), asked = ++this._asked, self = this;
      var where = [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map(function (v) { return v.toFixed(4); });
      var url = this._url + "?s=" + where[0] + "&w=" + where[1] + "&n=" + where[2] + "&e=" + where[3] + "&z=" + map.getZoom();
      this._where = where.join(",") + "," + map.getZoom();
      this.pending = fetchFrom(url, "json").then(function (answer) {
        if (!self._map) return;
        if (asked !== self._asked) return self.pending;  // the map moved again meanwhile: wait for that answer
        self.answer = answer;
        self._cells = answer.bins;
        self._showDots(answer.points || {});
        self._draw();
        countOutside();
        var biggest = answer.bins.reduce(function (a, c) { return a && a[2] >= c[2] ? a : c; }, null);
        window.__dmBins = { view: answer.key, zoom: answer.zoom, inside: answer.inside, cells: answer.bins.length,
          biggest: biggest && [biggest[0], biggest[1]], at: performance.now() };  // for tests and the benchmark
      }).catch(function (err) { console.error("counts not loaded:", err); });
      return this.pending;
    },
    // The answer for the map as it is now: asked already (by the move that put it there), or now.
    settled: function () {
      var map = this._map, self = this;
      if (!map) return new Promise(function (resolve) { self.once("add", function () { resolve(self.settled()); }); });
      if (map._animatingZoom || (map._panAnim && map._panAnim._inProgress)) {  // asked again when it ends
        return new Promise(function (resolve) { map.once("moveend", function () { resolve(self.pending); }); });
      }
      var b = map.getBounds();
      var where = [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map(function (v) { return v.toFixed(4); });
      return where.join(",") + "," + map.getZoom() === this._where ? this.pending : this.ask();
    },
    _showDots: function (points) {
      var group = this._group;
      this._dots.forEach(function (layer) { if (group) group.removeLayer(layer); });
      this._dots = [];
      if (!group) return;
      var self = this;
      Object.keys(points).forEach(function (eventType) {
        var layer = new DotsLayer(points[eventType], eventType);
        self._dots.push(layer);
        group.addLayer(layer);
      });
    },
    // From min (one event) to max (the answer's biggest cell), by the log of the count: a cell of 50,000
    // beside one of 50 reads as bigger without hiding its neighbours.
    _radius: function (n, most) {
      var look = config.bin_px, span = Math.log(Math.max(most, 2));
      return look.min + (look.max - look.min) * Math.log(Math.max(n, 1)) / span;
    },
    _draw: function () {
      var map = this._map, size = map.getSize(), ratio = window.devicePixelRatio || 1;
      var ctx = fitCanvas(map, this._canvas, size, ratio), types = this._types, colors = config.colors;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.font = "bold 11px sans-serif";
      this._placed = [];
      // the biggest first, so that a small cell beside it is drawn on top and still seen
      var cells = this._cells.slice().sort(function (a, b) { return b[2] - a[2]; });
      var most = cells.length ? cells[0][2] : 1;
      for (var i = 0; i < cells.length; i++) {
        var c = cells[i], p = map.latLngToContainerPoint([c[0], c[1]]), r = this._radius(c[2], most);
        if (p.x < -r || p.y < -r || p.x > size.x + r || p.y > size.y + r) continue;
        this._placed.push({ x: p.x, y: p.y, r: r, latlng: L.latLng(c[0], c[1]) });
        var start = -Math.PI / 2;
        for (var t = 0; t < types.length; t++) {
          if (!c[3][t]) continue;
          var end = start + 2 * Math.PI * c[3][t] / c[2];
          ctx.beginPath();
          ctx.moveTo(p.x, p.y);
          ctx.arc(p.x, p.y, r, start, end);
          ctx.closePath();
          ctx.fillStyle = styleOf(types[t]).color;
          ctx.fill();
          start = end;
        }
        ctx.beginPath();
        ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = colors.bin_outline;
        ctx.stroke();
        var label = c[2] >= 1e6 ? (c[2] / 1e6).toFixed(1) + "M" : c[2] >= 1e4 ? Math.round(c[2] / 1e3) + "k"
          : c[2] >= 1e3 ? (c[2] / 1e3).toFixed(1) + "k" : String(c[2]);
        ctx.lineWidth = 3;
        ctx.strokeStyle = colors.bin_text_shadow;
        ctx.strokeText(label, p.x, p.y);
        ctx.fillStyle = colors.bin_text;
        ctx.fillText(label, p.x, p.y);
      }
    },
    cellAt: function (point) {
      var placed = this._placed || [];
      for (var i = placed.length - 1; i >= 0; i--) {
        var c = placed[i], dx = c.x - point.x, dy = c.y - point.y;
        if (dx * dx + dy * dy <= c.r * c.r) return c.latlng;
      }
      return null;
    }
  });

  function addBins(group, url, typeOrder) {
    var layer = new BinsLayer(url, typeOrder);
    layer._group = group;
    group.__dmBinsLayer = layer;
    group.addLayer(layer);
  }

  function fitTo(bounds) {
    if (bounds) theMap.fitBounds(bounds, { padding: [30, 30], maxZoom: config.fit_max_zoom });
  }

  // Called last in a view's group: once its data has arrived and is drawn, show the selection, frame the
  // view when needed and announce the paint (window.__dmPainted, which tests and the benchmark wait on).
  function finishView(group, spec) {
    var cardBaseChanged = config.card_base !== spec.card_base;
    config.card_base = spec.card_base;
    if (cardBaseChanged) cardCache = {};
    Promise.all(group.__dmPending || []).then(function () {
      window.__dmView = spec;
      viewPoints = group.__dmPoints || null;
      var s = spec.selected;
      if (s) {
        markSelected(s.latlng, s.offset);
        var flying = spec.story_start || (spec.story_leg !== null && spec.story_leg !== undefined);
        if (flying) theMap.once("moveend", function () { openCard(s.latlng, s.card); });  // after the flight
        else if (!card || card.eventId !== s.card.event_id) openCard(s.latlng, s.card);
      } else {
        clearHighlight();
        closeCard();
      }
      var visible = theMap.getBounds(), lines = group.__dmLegLines || [];
      if (spec.story_leg !== null && spec.story_leg !== undefined && lines[spec.story_leg]) {
        var leg = lines[spec.story_leg];
        leg.setStyle({ color: config.colors.story_leg, weight: 6, opacity: 1 }).bringToFront();
        closeCard();
        theMap.flyToBounds(leg.getBounds(), { paddingTopLeft: [60, 180], paddingBottomRight: [60, 40],
          maxZoom: config.fit_max_zoom, duration: 1.2 });
      } else if (s && spec.story_start) {
        closeCard();
        theMap.flyTo(s.latlng, Math.max(theMap.getZoom(), 5), { duration: 1.2 });
      } else if (!fittedOnce || (spec.bounds && !visible.intersects(L.latLngBounds(spec.bounds)))) {
        fitTo(fittedOnce ? spec.bounds : (spec.focus || spec.bounds));
      } else if (s && spec.pan_to_selected && !visible.contains(s.latlng)) theMap.panTo(s.latlng);
      fittedOnce = true;
      countOutside();
      var bins = group.__dmBinsLayer;
      Promise.resolve(bins ? bins.settled() : null).then(function () {
        requestAnimationFrame(function () {
          window.__dmPainted = { view: spec.key, count: spec.count, at: performance.now() };
          firstPaintDone();
        });
      });
    });
  }

  window.DashboardMap = { init: init, addBasemap: addBasemap, addLegend: addLegend, addRoute: addRoute,
    addZones: addZones, addEvents: addEvents, addDenseDots: addDenseDots, addBins: addBins, finishView: finishView };
})();
