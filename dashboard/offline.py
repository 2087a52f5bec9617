"""Serve every script, stylesheet and image the map needs from the dashboard itself, never a CDN.

The files come from PyPI's XStatic wheels (installed by requirements.txt) and are copied once into
dashboard/static/vendor/, which Streamlit serves at /app/static/. The map inside the streamlit-folium
iframe reaches them by a relative path, so no host name is baked in.
"""
from __future__ import annotations

import base64
import importlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import branca
import folium

from .config import IFRAME_ASSET_BASE, STATIC_DIR
from .errors import DashboardError

VENDOR_PACKAGES = {  # folder under static/vendor -> XStatic module whose data folder is copied there
    "leaflet": "xstatic.pkg.leaflet",
    "jquery": "xstatic.pkg.jquery",
}
# folium's asset name -> path under static/. Names mapped to None are folium extras we never use
# (Bootstrap, Font Awesome, awesome-markers: only folium.Icon needs them, and we draw our own markers).
ASSET_PATHS: dict[str, str | None] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "jquery": "vendor/jquery/jquery.min.js",
    "dashboard_map": "dashboard-map.js",
    "dashboard_map_css": "dashboard-map.css",
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


def ensure_vendor_assets(static_dir: Path = STATIC_DIR) -> Path:
    """Copy the XStatic packages' files into static/vendor/ unless they are there already.

    Each package is copied to a temporary folder and renamed into place, so two servers starting at
    once never serve a half-copied folder.
    """
    vendor = static_dir / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    for folder, module_name in VENDOR_PACKAGES.items():
        target = vendor / folder
        if target.is_dir():
            continue
        try:
            source = Path(importlib.import_module(module_name).BASE_DIR)
        except ImportError as exc:
            raise OfflineAssetError(f"{module_name} is not installed: run `pip install -r requirements.txt`") from exc
        staging = Path(tempfile.mkdtemp(prefix=f".{folder}.", dir=vendor))
        shutil.copytree(source, staging, dirs_exist_ok=True)
        try:
            os.rename(staging, target)
        except OSError:  # another process won the race: its copy is complete, drop ours
            shutil.rmtree(staging, ignore_errors=True)
    return vendor


def _elements(root: branca.element.Element):
    yield root
    for child in getattr(root, "_children", {}).values():
        yield from _elements(child)


def localize_assets(fmap: folium.Map, base: str = IFRAME_ASSET_BASE) -> folium.Map:
    """Point every element's JS/CSS links at the dashboard's own copies (in place; returns the map)."""
    for element in _elements(fmap):
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if not links:
                continue
            local = []
            for name, url in links:
                if name not in ASSET_PATHS:
                    raise OfflineAssetError(f"no local copy of asset {name!r} ({url}) used by {type(element).__name__}")
                if ASSET_PATHS[name] is not None:
                    local.append((name, f"{base}/{ASSET_PATHS[name]}"))
            setattr(element, attr, local)  # an instance attribute: the class lists stay untouched
    return fmap


def _data_uri(path: Path) -> str:
    mime = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}.get(path.suffix, "application/octet-stream")
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _inline_css(path: Path) -> str:
    """A stylesheet with its url(...) images turned into data: URIs, so it needs no other file."""
    def replace(match: re.Match) -> str:
        ref = match.group(1).strip("'\"")
        target = path.parent / ref
        return f"url({_data_uri(target)})" if not ref.startswith("data:") and target.is_file() else match.group(0)
    return re.sub(r"url\(([^)]+)\)", replace, path.read_text(encoding="utf-8"))


STANDALONE_BASE = "__dashboard_static__"


def standalone_html(fmap: folium.Map, static_dir: Path = STATIC_DIR) -> str:
    """The map as one self-contained HTML file: every asset inlined, nothing fetched from anywhere."""
    localize_assets(fmap, STANDALONE_BASE)
    html = fmap.get_root().render()

    def script(match: re.Match) -> str:
        code = (static_dir / match.group(1)).read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def style(match: re.Match) -> str:
        return f"<style>{_inline_css(static_dir / match.group(1))}</style>"

    html = re.sub(rf'<script src="{STANDALONE_BASE}/([^"]+)"></script>', script, html)
    html = re.sub(rf'<link rel="stylesheet" href="{STANDALONE_BASE}/([^"]+)"/>', style, html)
    if STANDALONE_BASE in html:
        raise OfflineAssetError("an asset could not be inlined into the standalone map")
    return html
