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

  function addBasemap(group, source) {
    var style = { color: "#8a8f94", weight: 0.6, fillColor: "#f3efe6", fillOpacity: 1, interactive: false };
    function draw(data) { L.geoJSON(data, { style: style, interactive: false }).addTo(group); }
    if (typeof source === "string") {
      fetch(source).then(function (r) { return r.json(); }).then(draw)
        .catch(function (err) { console.warn("basemap not loaded:", err); });
    } else {
      draw(source);
    }
  }

  function addEvents(group, data, styles) {
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

  window.DashboardMap = { addBasemap: addBasemap, addEvents: addEvents, addZones: addZones,
    addRoute: addRoute, addLegend: addLegend };
})();
