"""`python -m dashboard import FORMAT FILE... --into DIR`: published event files into a data folder.

One module per format reads its files into an `ImportBatch` (events.csv rows, zones, declared types, the
rows it could not use and why); `common.write_into` merges the batch into the folder by event id and
writes its events as events.csv or events.parquet (`events_format`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from ..config import Settings
from . import acled, gdelt, navwarnings
from .common import (
    EVENT_FORMATS,
    ImportBatch,
    ImportOptions,
    ImportRefused,
    UsageError,
    WriteReport,
    events_source,
    write_into,
)

READERS: dict[str, Callable[[Sequence[Path], ImportOptions], ImportBatch]] = {
    acled.FORMAT: acled.read,
    gdelt.FORMAT: gdelt.read,
    navwarnings.FORMAT: navwarnings.read,
}
FIELDS: dict[str, tuple[str, ...]] = {
    acled.FORMAT: acled.FIELDS,
    gdelt.FORMAT: gdelt.FIELDS,
    navwarnings.FORMAT: navwarnings.FIELDS,
}

__all__ = [
    "EVENT_FORMATS",
    "FIELDS",
    "READERS",
    "ImportOptions",
    "ImportRefused",
    "UsageError",
    "import_files",
    "summarize",
]


def import_files(
    format_name: str,
    paths: Sequence[Path],
    into: Path,
    settings: Settings,
    options: ImportOptions | None = None,
    events_format: str | None = None,
) -> tuple[ImportBatch, WriteReport | None]:
    """Read `paths` in `format_name` and merge them into the data folder `into`.

    `events_format` ("csv" or "parquet") is the file the folder's events are written to; None keeps the
    folder's own, csv for a new folder (see `common.write_into`).

    Returns the batch read and what was written (None when no event could be read: nothing is written).
    Raises ImportRefused, with every problem, when a file cannot be read, when `options.strict` is set and
    a row has a problem, or when the merged folder would not load; the folder is then left as it was.
    """
    if format_name not in READERS:
        raise UsageError(f"unknown format {format_name!r}; known: {', '.join(READERS)}")
    if events_format is not None and events_format not in EVENT_FORMATS:
        raise UsageError(f"unknown events format {events_format!r}; known: {', '.join(EVENT_FORMATS)}")
    options = options or ImportOptions()
    if options.max_events_bytes is None:
        options = replace(options, max_events_bytes=settings.max_file_bytes)
    events_source(Path(into))  # a folder holding its events twice is refused before the inputs are read
    batch = READERS[format_name]([Path(p) for p in paths], options)
    if options.strict and batch.rows_with_problems:
        raise ImportRefused(
            batch.problems, f"--strict: {batch.rows_with_problems} row(s) have problems; nothing was written"
        )
    if not batch.events:
        return batch, None
    return batch, write_into(batch, Path(into), settings, events_format)


def summarize(batch: ImportBatch, report: WriteReport | None) -> list[str]:
    """The end-of-run summary, a few lines: read, skipped and why, written."""
    files = f"{batch.files_read} file{'s' if batch.files_read != 1 else ''}"
    lines = [
        f"read {batch.rows_read:,} rows from {files}: "
        + "; ".join(f"{label}: {count:,} rows" for label, count in batch.layouts.most_common())
    ]
    events = len(batch.events)
    folded = f" ({batch.rows_folded:,} more rows added actors to events read before)" if batch.rows_folded else ""
    replaced = (
        f"; {batch.replaced_by_later_file:,} given again by a later file (the later one is kept)"
        if batch.replaced_by_later_file
        else ""
    )
    lines.append(f"events read: {events:,}{folded}{replaced}")
    for reason, count in batch.skipped.most_common():
        examples = batch.examples.get(reason)
        lines.append(f"skipped: {count:,} rows, {reason}" + (f" (e.g. {', '.join(examples)})" if examples else ""))
    if batch.problem_count > len(batch.problems):
        lines.append(f"problems: {batch.problem_count:,} (the first {len(batch.problems)} are listed above)")
    if report is None:
        lines.append("nothing written: no event could be read")
        return lines
    lines.append(
        f"into {report.into}: {report.events_file} now {report.total:,} events ({report.new:,} new, "
        f"{report.updated:,} updated, {report.unchanged:,} unchanged, {report.kept:,} kept from before)"
    )
    if report.types_added:
        lines.append(f"types.csv: declared {', '.join(report.types_added)}")
    if report.zones:
        lines.append(f"zones.geojson: {report.zones:,} zones")
    written = ", ".join(report.files_written) or "nothing (the folder already held exactly this)"
    lines.append(f"written: {written}; the folder passes `python -m dashboard validate --data-dir {report.into}`")
    for name in report.files_removed:
        lines.append(f"removed: {name} (the events are in {report.events_file} now: a folder holds them once)")
    return lines
