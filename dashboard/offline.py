"""Every script, stylesheet and image the map needs comes from the dashboard itself, never a CDN.

folium lists each element's assets as CDN links (`default_js` / `default_css`). `localize_assets` points
them at the dashboard's own copies (served by serving.py from the installed XStatic wheel and the package
folder, nothing copied or written), drops the folium extras we never use, and refuses anything unknown.
`standalone_html` inlines the same files for the HTML download.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import branca
import folium

from .errors import DashboardError
from .serving import asset_path, asset_url

# folium's asset name -> path under static/ (vendor/... is an installed wheel). None: a folium extra the
# map never uses (jQuery, Bootstrap, Font Awesome, awesome-markers serve folium.Icon popups; we draw our
# own markers), so the iframe does not load it at all.
ASSET_PATHS: dict[str, str | None] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "dashboard_map": "dashboard-map.js",
    "dashboard_map_css": "dashboard-map.css",
    "jquery": None,
    "bootstrap": None,
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers": None,
    "awesome_markers_font_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
}


class OfflineAssetError(DashboardError):
    """Raised when a map element asks for an asset the dashboard cannot serve itself."""


def _elements(root: branca.element.Element) -> Iterator[branca.element.Element]:
    yield root
    for child in getattr(root, "_children", {}).values():
        yield from _elements(child)


def localize_assets(element: branca.element.Element, url: Callable[[str], str] = asset_url):
    """Point every JS/CSS link of `element` and its children at `url(path under static/)`, in place."""
    for item in _elements(element):
        for attr in ("default_js", "default_css"):
            links = getattr(item, attr, None)
            if not links:
                continue
            local = []
            for name, link in links:
                if name not in ASSET_PATHS:
                    raise OfflineAssetError(f"no local copy of asset {name!r} ({link}) used by {type(item).__name__}")
                if ASSET_PATHS[name] is not None:
                    local.append((name, url(ASSET_PATHS[name])))
            setattr(item, attr, local)  # an instance attribute: the class lists stay untouched
    return element


def _data_uri(path: Path) -> str:
    mime = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}.get(
        path.suffix, "application/octet-stream"
    )
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _inline_css(path: Path) -> str:
    """A stylesheet with its url(...) images turned into data: URIs, so it needs no other file."""

    def replace(match: re.Match) -> str:
        ref = match.group(1).strip("'\"")
        target = path.parent / ref
        return f"url({_data_uri(target)})" if not ref.startswith("data:") and target.is_file() else match.group(0)

    return re.sub(r"url\(([^)]+)\)", replace, path.read_text(encoding="utf-8"))


STANDALONE_MARK = "__dashboard_static__/"


def standalone_html(fmap: folium.Map) -> str:
    """The map as one self-contained HTML file: every asset inlined, nothing fetched from anywhere."""
    localize_assets(fmap, lambda path: STANDALONE_MARK + path)
    html = fmap.get_root().render()

    def script(match: re.Match) -> str:
        code = asset_path(match.group(1)).read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def style(match: re.Match) -> str:
        return f"<style>{_inline_css(asset_path(match.group(1)))}</style>"

    html = re.sub(rf'<script src="{STANDALONE_MARK}([^"]+)"></script>', script, html)
    html = re.sub(rf'<link rel="stylesheet" href="{STANDALONE_MARK}([^"]+)"/>', style, html)
    if STANDALONE_MARK in html:
        raise OfflineAssetError("an asset could not be inlined into the standalone map")
    return html
