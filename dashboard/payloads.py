"""Large map data as static JSON files that the map fetches, instead of inlining it in the map's script.

A 100,000-event map inlined in the component's arguments made the browser spend seconds on each render;
fetched from /app/static/ it costs one HTTP request. Files are named by a hash of their content, so
every session that shows the same view shares one file, and a file is never rewritten.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .config import STATIC_DIR
from .files import write_text_atomic

PAYLOAD_DIR = STATIC_DIR / "payloads"
KEEP_FILES = 256  # the most recent views; at ~2 MB for 100,000 events that caps the folder near 0.5 GB


def publish_json(payload: dict, folder: Path = PAYLOAD_DIR) -> str:
    """Write `payload` as `payloads/<hash>.json` under the static folder (once) and return that path."""
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    name = hashlib.sha256(text.encode("utf-8")).hexdigest()[:24] + ".json"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        os.utime(target)  # recently used: keep it through the next pruning
    else:
        write_text_atomic(target, text)
        prune(folder)
    return f"payloads/{name}"


def prune(folder: Path, keep: int = KEEP_FILES) -> None:
    """Delete all but the `keep` most recently used payload files."""
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)
