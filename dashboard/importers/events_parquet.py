"""events.parquet: a data folder's events as `import --format parquet` (and `bench.generate`) write them.

The file holds exactly what events.csv would hold: the same columns in the same order (the contract's,
then any extra column the folder keeps), each a UTF-8 string column without nulls whose values are the
CSV's cells as text ("" for a blank), so the same checks read either file. It is written as a stream in
row groups of `loading.EVENT_CHUNK_ROWS` rows (the pieces the loader checks), never the whole table at
once, into a temporary file beside the target (`.events.parquet.<pid>.<random>.tmp`) that replaces the
target in one step when it is complete: a reader sees the old file or the new one, never half of one,
and the temporary file of a killed writer is removed by the next one.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import loading
from ..files import install, remove_stale_temp_files

# Zstandard: read by DuckDB, Spark (3.2 on), pyarrow and the other engines; on generated events the file is
# half the size of Snappy's (the Parquet default), written and read as fast.
COMPRESSION = "zstd"


def events_schema(columns: Sequence[str]) -> pa.Schema:
    """Every column a string that is never null: a blank cell is ""."""
    return pa.schema([pa.field(name, pa.string(), nullable=False) for name in columns])


class EventsParquetWriter:
    """Events into a Parquet file of string columns, a row group per `loading.EVENT_CHUNK_ROWS` rows.

    Rows or columns may come in pieces of any size: at most one row group's worth is held until it is
    written. Use it as a context manager; leaving the block normally writes the last (smaller) group.
    """

    def __init__(self, path: str | os.PathLike, columns: Sequence[str]):
        self.columns = list(columns)
        self.schema = events_schema(self.columns)
        self.group_rows = loading.EVENT_CHUNK_ROWS  # read now, so that a test can make the groups small
        self.rows = 0
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._writer = pq.ParquetWriter(str(path), self.schema, compression=COMPRESSION)

    def write_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Rows as sequences of strings in column order."""
        if rows:
            self.write_columns(list(zip(*rows, strict=True)))

    def write_columns(self, columns: Sequence[Sequence[str] | pd.Series | pa.Array | pa.ChunkedArray]) -> None:
        """One sequence of strings per column, in column order, all of one length."""
        if len(columns) != len(self.columns):
            raise ValueError(f"{len(columns)} columns given, the file has {len(self.columns)}")
        arrays = []
        for name, values in zip(self.columns, columns, strict=True):
            array = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values, type=pa.string())
            if isinstance(array, pa.ChunkedArray):  # pandas' strings of a big piece come in several chunks
                array = array.combine_chunks()
            if array.type != pa.string():
                array = array.cast(pa.string())
            if array.null_count:
                raise ValueError(f"column {name!r} has {array.null_count} missing values: a blank cell is ''")
            arrays.append(array)
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        if batch.num_rows:
            self._pending.append(batch)
            self._pending_rows += batch.num_rows
        while self._pending_rows >= self.group_rows:
            self._flush(self.group_rows)

    def _flush(self, count: int) -> None:
        """Write the first `count` pending rows as one row group."""
        table = pa.Table.from_batches(self._pending, schema=self.schema)
        self._writer.write_table(table.slice(0, count), row_group_size=count)
        rest = table.slice(count)
        self._pending = rest.combine_chunks().to_batches() if rest.num_rows else []
        self._pending_rows = rest.num_rows
        self.rows += count

    def close(self) -> None:
        if self._pending_rows:
            self._flush(self._pending_rows)
        self._writer.close()

    def __enter__(self) -> EventsParquetWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:  # the file is abandoned: close it without writing what is pending
            self._writer.close()


def new_temp_file(target: str | os.PathLike) -> Path:
    """A new, empty temporary file beside `target` (`.events.parquet.<pid>.<random>.tmp`), for `install`;
    those of writers killed mid-way are deleted first."""
    target = Path(target)
    remove_stale_temp_files(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def write_atomically(
    target: str | os.PathLike, columns: Sequence[str], like: Path | None = None
) -> Iterator[EventsParquetWriter]:
    """An `EventsParquetWriter` on a temporary file beside `target`, installed over it once the block ends
    well. On any error (or Ctrl-C) the temporary file is deleted and `target` is left as it was."""
    temp = new_temp_file(target)
    try:
        with EventsParquetWriter(temp, columns) as writer:
            yield writer
        install(temp, target, like)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_csv_as_parquet(source: Path, out: Path) -> int:
    """events.csv text into a Parquet file `out` (a temporary one, to `install`), a row group at a time;
    return the rows written.

    The CSV is parsed exactly as the loader parses events.csv (pandas, every cell a string, nothing read
    as missing), so the Parquet holds the very strings that checking the CSV checked.
    """
    with source.open(encoding="utf-8-sig", newline="") as handle:
        header = [h.strip() for h in next((row for row in csv.reader(handle) if row), [])]
    with (
        EventsParquetWriter(out, header) as writer,
        pd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",
            chunksize=loading.EVENT_CHUNK_ROWS,
        ) as reader,
    ):
        for frame in reader:
            writer.write_columns([frame.iloc[:, i] for i in range(frame.shape[1])])
    return writer.rows


def read_header(path: Path) -> list[str]:
    """The column names of an events.parquet; OSError or pyarrow's ArrowException if it is not Parquet."""
    return list(pq.ParquetFile(path).schema_arrow.names)


def iter_rows(path: Path) -> Iterator[list[str]]:
    """The header of an events.parquet, then its rows, as lists of strings, a row group at a time.

    A value of a column that is not text is given as Python's str() of it (the loader's reading), a missing
    one as "".
    """
    parquet = pq.ParquetFile(path)
    yield list(parquet.schema_arrow.names)
    for batch in parquet.iter_batches(batch_size=loading.EVENT_CHUNK_ROWS):
        columns = []
        for array in batch.columns:
            values = array.to_pylist()
            if not pa.types.is_string(array.type) or array.null_count:
                values = ["" if value is None else str(value) for value in values]
            columns.append(values)
        for row in zip(*columns, strict=True):
            yield list(row)
