"""A data folder's events as one typed Parquet file, in a cache outside the project: checked and built once
per version of the folder (the first open after a change), then queried by the engine at every open.

The copy is written into a temporary folder and renamed into place, so a reader never sees half of one;
building it takes a lock, so two servers opening the same folder build it once. A read-only install uses
the user's cache folder, or the system's temporary folder when there is none.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .config import REPO_DIR, Settings, load_settings
from .errors import DashboardError, DataError
from .loading import events_path, stream_dataset
from .queries import EVENT_SCHEMA, ROW
from .schema import GEOCODE_CACHE_FILE, LOCATIONS_FILE, TYPES_FILE
from .validation import Problem

CACHE_ENV = "DASHBOARD_CACHE_DIR"
APP_NAME = "taiwan-strait-dashboard"
LAYOUT_VERSION = 2  # change it when the copy's columns, types or order change: older copies are then rebuilt
ROW_GROUP_ROWS = 100_000  # the unit a query skips when its dates (min/max per group) are out of range
COPY_FILE = "events.parquet"
META_FILE = "meta.json"
ARROW_SCHEMA = EVENT_SCHEMA.to_pyarrow()


def cache_root() -> Path:
    """$DASHBOARD_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, else the temporary folder (a user without a
    home, such as `nobody`), each with the dashboard's own folder inside."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        folder = Path(chosen).expanduser()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DashboardError(f"${CACHE_ENV} is {folder}, which cannot be made: {exc.strerror}") from exc
        if not os.access(folder, os.W_OK):
            raise DashboardError(f"${CACHE_ENV} is {folder}, where this user cannot write: choose another folder")
        return folder
    xdg = os.environ.get("XDG_CACHE_HOME")
    candidates = [Path(xdg) / APP_NAME] if xdg else []
    candidates += [Path.home() / ".cache" / APP_NAME, Path(tempfile.gettempdir()) / f"{APP_NAME}-{os.getuid()}"]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return folder
        except OSError:
            continue
    return candidates[-1]


def source_stamp(settings: Settings) -> list:
    """What the copy is made from: the events file and the files that fill or check its rows."""
    data_dir = settings.data_dir
    stamp = []
    for path in (
        events_path(data_dir),
        data_dir / LOCATIONS_FILE,
        data_dir / GEOCODE_CACHE_FILE,
        data_dir / TYPES_FILE,
    ):
        try:
            info = path.stat()
            stamp.append([path.name, info.st_size, info.st_mtime_ns])
        except OSError:
            stamp.append([path.name, None, None])
    return stamp


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value).encode()).hexdigest()[:20]


def copy_folder(settings: Settings, root: Path | None = None) -> Path:
    """Where this version of this folder's copy lives (it may not be built yet)."""
    root = root or cache_root()
    folder_key = _digest([str(settings.data_dir.resolve()), LAYOUT_VERSION])
    return root / folder_key / _digest(source_stamp(settings))


def typed_copy(settings: Settings, root: Path | None = None) -> tuple[Path, list[Problem]]:
    """The built copy's Parquet file and the warnings its events gave; builds it first when missing.

    Raises DataError, with every problem, when the folder has errors: nothing is cached then."""
    entry = copy_folder(settings, root)
    if not (entry / META_FILE).exists():
        entry.parent.mkdir(parents=True, exist_ok=True)
        with _locked(entry.parent / ".lock"):
            if not (entry / META_FILE).exists():  # another process may have built it while this one waited
                _build_in_child(settings, entry)
    meta = json.loads((entry / META_FILE).read_text(encoding="utf-8"))
    return entry / COPY_FILE, [Problem(**p) for p in meta["warnings"]]


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sort_by_date(source: Path, target: Path, scratch: Path) -> None:
    """The copy sorted by start date (each event keeps its `row`): a date range then reads only the row
    groups it overlaps, and the table's first page by date is at the front. DuckDB sorts within its memory
    limit, spilling to the scratch folder."""
    import duckdb

    with duckdb.connect(config={"memory_limit": "1GB", "temp_directory": str(scratch / "spill")}) as con:
        con.execute(
            f"COPY (SELECT * FROM read_parquet({_sql_text(source)}) ORDER BY start_date, {ROW}) "
            f"TO {_sql_text(target)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
        )


def _sql_text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _build_in_child(settings: Settings, entry: Path) -> None:
    """Build in a process of its own: checking ten million rows costs memory that a long-lived server
    should not keep (Python seldom gives it back), and a crash there cannot take the server down.

    A new interpreter, not multiprocessing: Streamlit runs the page as `__main__`, which a spawned child
    would run again. The child inherits the environment (the size limits) and prints the problems."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_DIR), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.parquet_copy", str(settings.data_dir), str(entry)],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode == 0:
        return
    try:
        problems = [Problem(**p) for p in json.loads(done.stdout)]
    except (ValueError, TypeError):
        raise DashboardError(f"building the events' Parquet copy failed: {done.stderr.strip()[-2000:]}") from None
    raise DataError(problems)


def _build(settings: Settings, entry: Path) -> list[Problem] | None:
    """Check the folder and write its copy at `entry`; the problems instead when there are errors."""
    scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=entry.parent))
    try:
        checked = scratch / "checked.parquet"  # in file order, as checked
        writer = pq.ParquetWriter(checked, ARROW_SCHEMA, compression="zstd")
        with writer:

            def write(typed: pd.DataFrame) -> None:
                frame = typed.assign(**{ROW: typed.index.to_numpy(dtype="int64")})
                writer.write_table(pa.Table.from_pandas(frame, schema=ARROW_SCHEMA, preserve_index=False))

            dataset, problems = stream_dataset(settings, write)
        if dataset is None:
            return problems
        _sort_by_date(checked, scratch / COPY_FILE, scratch)
        checked.unlink()
        events_file = events_path(settings.data_dir).name
        warnings = [asdict(p) for p in problems if p.file == events_file and not p.is_error]
        meta = {"source": source_stamp(settings), "layout": LAYOUT_VERSION, "warnings": warnings}
        (scratch / META_FILE).write_text(json.dumps(meta, default=str), encoding="utf-8")
        os.rename(scratch, entry)  # whole or not at all
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for older in entry.parent.iterdir():  # copies of earlier versions of this folder
        if older.is_dir() and older != entry and not older.name.startswith(".building-"):
            shutil.rmtree(older, ignore_errors=True)
    return None


if __name__ == "__main__":  # the child of _build_in_child: python -m dashboard.parquet_copy DATA_DIR ENTRY
    found = _build(load_settings(sys.argv[1]), Path(sys.argv[2]))
    if found is not None:
        print(json.dumps([asdict(p) for p in found], default=str))
        sys.exit(1)
