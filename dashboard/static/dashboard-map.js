/* Map layers for the dashboard. Every piece of text from the data is set with textContent, so titles,
   places and notes are shown as text and never parsed as HTML. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function card(lines) {
    // lines: [[cssClass, text], ...]; blank lines are skipped
    return function () {
      var box = el("div", "dm-card");
      lines.forEach(function (line) {
        if (line[1]) box.appendChild(el("div", line[0], line[1]));
      });
      return box;
    };
  }

  // How many events this map has drawn (redraws count again): the benchmark and tests wait on it.
  function countDrawn(n) { window.__dmDrawn = (window.__dmDrawn || 0) + n; }

  function addBasemap(group, source) {
    var style = { color: "#8a8f94", weight: 0.6, fillColor: "#f3efe6", fillOpacity: 1, interactive: false };
    // Its own pane, under the overlay pane: land that arrives after the events must not cover them.
    function draw(data) {
      function onMap(map) {
        var pane = map.getPane("dmBasemap") || map.createPane("dmBasemap");
        pane.style.zIndex = 250;
        pane.style.pointerEvents = "none";
        L.geoJSON(data, { style: style, interactive: false, pane: "dmBasemap" }).addTo(group);
      }
      if (group._map) onMap(group._map); else group.once("add", function () { onMap(group._map); });
    }
    withData(source, draw);
  }

  // `source` is the data, or the URL of a payload file to fetch (see payloads.py).
  function withData(source, use) {
    if (typeof source !== "string") { use(source); return; }
    fetch(source).then(function (r) { return r.json(); }).then(use)
      .catch(function (err) { console.error("map data not loaded:", err); });
  }

  function addEvents(group, source, styles) {
    withData(source, function (data) { drawEvents(group, data, styles); });
  }

  function drawEvents(group, data, styles) {
    L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        var p = feature.properties;
        var s = styles[p.event_type] || styles._default;
        if (p.precision > 1) {
          // A halo sized to the uncertainty: near a place (2) or only the region (3).
          L.circle(latlng, { radius: p.precision === 2 ? 25000 : 120000, color: s.color, weight: 1,
            dashArray: "4 4", fillColor: s.color, fillOpacity: 0.08, interactive: false }).addTo(group);
        }
        var dx = (p.offset || [0, 0])[0], dy = (p.offset || [0, 0])[1];
        if (p.label) {
          var badge = el("span", "dm-stop-label", p.label);
          badge.style.background = s.color;
          return L.marker(latlng, { icon: L.divIcon({ className: "dm-stop", html: badge, iconSize: [24, 24],
            iconAnchor: [12 - dx, 12 - dy] }), riseOnHover: true, keyboard: true, zIndexOffset: 1000 });
        }
        // A dot as a DivIcon so that events at one place can be fanned out by a pixel offset.
        var size = 2 * s.radius;
        var dot = el("span", "dm-dot" + (p.precision > 1 ? " dm-dot-approx" : ""));
        dot.style.background = s.color;
        dot.style.width = dot.style.height = size + "px";
        return L.marker(latlng, { icon: L.divIcon({ className: "dm-dot-icon dm-type-" + p.event_type, html: dot,
          iconSize: [size, size], iconAnchor: [s.radius - dx, s.radius - dy] }), riseOnHover: true });
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindTooltip(card([["dm-title", p.title], ["dm-meta", p.when], ["dm-meta", p.place],
          ["dm-warn", p.precision_note]]), { direction: "top", sticky: false, opacity: 0.95 });
      }
    }).addTo(group);
    countDrawn(data.features.length);
  }

  var DOT_RADIUS = 3.5;

  function makeDot(color, ratio) {
    var r = DOT_RADIUS + 1, canvas = document.createElement("canvas");
    canvas.width = canvas.height = Math.ceil(2 * r * ratio);
    var ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.beginPath();
    ctx.arc(r, r, DOT_RADIUS, 0, 2 * Math.PI);
    ctx.fillStyle = color;
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = "rgba(255,255,255,0.85)";
    ctx.stroke();
    return canvas;
  }

  // Tens of thousands of events: one canvas per layer, drawn straight from columns of numbers, with no
  // Leaflet object per event. A click finds the nearest dot and reports its row; Python shows the details.
  var DotsLayer = L.Layer.extend({
    initialize: function (data, style) {
      this._data = data;
      this._style = style;
      this._x = new Float32Array(data.lat.length);
      this._y = new Float32Array(data.lat.length);
    },
    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "dm-dots leaflet-zoom-hide");
      map.getPanes().overlayPane.appendChild(this._canvas);
      map.on("moveend zoomend resize", this._draw, this);
      map.on("click", this._click, this);
      map.on("mousemove", this._hover, this);
      this._draw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend zoomend resize", this._draw, this);
      map.off("click", this._click, this);
      map.off("mousemove", this._hover, this);
    },
    _draw: function () {
      var map = this._map, size = map.getSize(), canvas = this._canvas, ratio = window.devicePixelRatio || 1;
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(canvas, topLeft);
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas.style.width = size.x + "px";
      canvas.style.height = size.y + "px";
      var ctx = canvas.getContext("2d"), lat = this._data.lat, lon = this._data.lon;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      // One pre-rendered dot stamped with drawImage: software rasterising 100,000 arcs takes seconds.
      var sprite = this._sprite || (this._sprite = makeDot(this._style.color, ratio)), r = DOT_RADIUS + 1;
      var w = Math.ceil(size.x), h = Math.ceil(size.y), taken = new Uint8Array(w * h);
      for (var i = 0; i < lat.length; i++) {
        var p = map.latLngToContainerPoint([lat[i], lon[i]]);
        this._x[i] = p.x;
        this._y[i] = p.y;
        var px = Math.round(p.x), py = Math.round(p.y);
        if (px < -r || py < -r || px > w + r || py > h + r) continue;
        if (px >= 0 && py >= 0 && px < w && py < h) {
          if (taken[py * w + px]) continue;  // a dot is already on this pixel
          taken[py * w + px] = 1;
        }
        ctx.drawImage(sprite, px - r, py - r, 2 * r, 2 * r);
      }
      countDrawn(lat.length);
    },
    _nearest: function (point) {
      var best = -1, bestD = 36;  // within 6 px
      for (var i = 0; i < this._x.length; i++) {
        var dx = this._x[i] - point.x, dy = this._y[i] - point.y, d = dx * dx + dy * dy;
        if (d < bestD) { bestD = d; best = i; }
      }
      return best;
    },
    _click: function (e) {
      // Every dots layer hears the map's click; the one with the nearest dot answers, once.
      var i = this._nearest(e.containerPoint), ev = e.originalEvent;
      if (i < 0 || !ev) return;
      var dx = this._x[i] - e.containerPoint.x, dy = this._y[i] - e.containerPoint.y, d = dx * dx + dy * dy;
      if (!ev.__dmBest) {
        ev.__dmBest = { d: Infinity };
        setTimeout(function () { ev.__dmBest.layer._report(ev.__dmBest.i, ev); }, 0);
      }
      if (d < ev.__dmBest.d) { ev.__dmBest.d = d; ev.__dmBest.i = i; ev.__dmBest.layer = this; }
    },
    _report: function (i, originalEvent) {
      var row = this._data.row[i], latlng = L.latLng(this._data.lat[i], this._data.lon[i]);
      var hit = { toGeoJSON: function () {
        return { type: "Feature", properties: { row: row }, geometry: { type: "Point", coordinates: [latlng.lng, latlng.lat] } };
      } };
      // propagate (the third argument): the layer arrives after the map has attached its click handlers,
      // so only its parent group, which was there, hears the click.
      this.fire("click", { latlng: latlng, layer: hit, originalEvent: originalEvent }, true);
    },
    _hover: function (e) {
      this._map.getContainer().style.cursor = this._nearest(e.containerPoint) >= 0 ? "pointer" : "";
    }
  });

  function addDensePoints(group, source, style) {
    withData(source, function (data) { group.addLayer(new DotsLayer(data, style)); });
  }

  function addZones(group, data) {
    L.geoJSON(data, {
      style: function () {
        return { color: "#b3261e", weight: 2, dashArray: "6 5", fillColor: "#d9534f", fillOpacity: 0.16 };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindTooltip(card([["dm-title", p.name], ["dm-warn", "Approximate outline"], ["dm-meta", p.note]]),
          { sticky: true, opacity: 0.95 });
      }
    }).addTo(group);
  }

  function addRoute(group, legs) {
    legs.forEach(function (leg) {
      var line = L.polyline(leg.path, { color: "#1f4e8c", weight: 3, opacity: 0.85 });
      line.bindTooltip(card([["dm-title", leg.title], ["dm-meta", leg.distance], ["dm-meta", leg.dates]]),
        { sticky: true, opacity: 0.95 });
      line.addTo(group);
      var arrow = el("span", "dm-arrow", "\u27a4");
      arrow.style.transform = "rotate(" + leg.arrow_angle + "deg)";
      L.marker(leg.arrow_at, { icon: L.divIcon({ className: "dm-arrow-icon", html: arrow, iconSize: [18, 18],
        iconAnchor: [9, 9] }), interactive: false, keyboard: false }).addTo(group);
    });
  }

  function addLegend(map, items, caption) {
    var legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var box = el("div", "dm-legend");
      box.appendChild(el("div", "dm-legend-title", caption));
      items.forEach(function (item) {
        var row = el("div", "dm-legend-row");
        var swatch = el("span", "dm-swatch dm-swatch-" + item.shape);
        swatch.style.background = item.shape === "zone" ? "rgba(217,83,79,0.25)" : item.color;
        swatch.style.borderColor = item.color;
        row.appendChild(swatch);
        row.appendChild(el("span", null, item.label));
        box.appendChild(row);
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    legend.addTo(map);
  }

  window.DashboardMap = { addBasemap: addBasemap, addEvents: addEvents, addDensePoints: addDensePoints, addZones: addZones,
    addRoute: addRoute, addLegend: addLegend };
})();
