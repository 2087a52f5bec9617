"""Where the events live: a typed Parquet file queried by an engine, DuckDB in-process or Apache Spark.

The page and `export` ask `queries` expressions; an engine compiles each to its own SQL (Ibis) and returns
small pandas frames. The server never holds the events themselves.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from . import queries
from .errors import DashboardError
from .filters import FilterState
from .queries import EVENTS, EVENTS_TABLE, VIEW_TABLE

ENGINES = ("duckdb", "spark")
ENGINE_ENV = "DASHBOARD_ENGINE"
SPARK_MASTER_ENV = "DASHBOARD_SPARK_MASTER"
EVENTS_PARQUET_ENV = "DASHBOARD_EVENTS_PARQUET"
DEFAULT_SPARK_MASTER = "local[2]"
# DuckDB's own ceiling for one process's queries: past it, it spills to its temporary folder (in the cache,
# never the project) instead of growing. 10,000,000 events bin within it.
DUCKDB_MEMORY_LIMIT_MB = 512
IN_MEMORY_ROWS = 200_000  # about 40 MB in DuckDB's columns at most


@dataclass(frozen=True)
class EngineChoice:
    """Which engine runs the queries, where Spark's master is, and, when the typed copy of the events lives
    elsewhere than this machine's cache (shared storage, object storage), where it is."""

    name: str = "duckdb"
    spark_master: str = DEFAULT_SPARK_MASTER
    events_parquet: str | None = None  # e.g. s3a://bucket/events.parquet, made by `validate --copy-to`

    @classmethod
    def from_env(
        cls, name: str | None = None, spark_master: str | None = None, events_parquet: str | None = None
    ) -> EngineChoice:
        chosen = (name or os.environ.get(ENGINE_ENV) or "duckdb").lower()
        if chosen not in ENGINES:
            raise DashboardError(f"unknown engine {chosen!r}: choose one of {', '.join(ENGINES)}")
        return cls(
            chosen,
            spark_master or os.environ.get(SPARK_MASTER_ENV) or DEFAULT_SPARK_MASTER,
            events_parquet or os.environ.get(EVENTS_PARQUET_ENV) or None,
        )


def _frame(table: pa.Table) -> pd.DataFrame:
    # dates as datetime64 (not Python objects), as the rest of the dashboard compares them
    frame = table.to_pandas(date_as_object=False)
    if "route_seq" in frame:  # a whole number or blank, as loading types it
        frame["route_seq"] = frame["route_seq"].astype("Int64")
    return frame


class DuckDBEngine:
    """DuckDB in this process over the Parquet file; one cursor a thread (Streamlit runs sessions on threads)."""

    dialect = "duckdb"

    def __init__(self, parquet: str, temp_dir: Path, memory_limit_mb: int = DUCKDB_MEMORY_LIMIT_MB):
        import duckdb

        temp_dir.mkdir(parents=True, exist_ok=True)
        self._db = duckdb.connect(
            config={"memory_limit": f"{memory_limit_mb}MB", "temp_directory": str(temp_dir / "duckdb-spill")}
        )
        source = f"read_parquet({_sql_text(parquet)})"
        rows = self._db.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        # A small copy is held in DuckDB's own columns: reading and decompressing the file again for every
        # query costs more than the query itself below a few hundred thousand events. A big one is read
        # where it lies, within the memory limit.
        kind = "TABLE" if rows <= IN_MEMORY_ROWS else "VIEW"
        self._db.execute(f"CREATE {kind} {EVENTS_TABLE} AS SELECT * FROM {source}")
        self._local = threading.local()

    def _cursor(self):
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._db.cursor()
        return cursor

    def arrow(self, sql: str) -> pa.Table:
        return self._cursor().sql(sql).to_arrow_table()

    def batches(self, sql: str, size: int) -> Iterator[pa.RecordBatch]:
        yield from self._db.cursor().sql(sql).to_arrow_reader(size)

    def close(self) -> None:
        self._db.close()


class SparkEngine:
    """The same SQL on Apache Spark: a cluster (`spark://host:7077`, `yarn`, `k8s://…`) or `local[N]`."""

    dialect = "pyspark"

    def __init__(self, parquet: str, master: str):
        try:
            from ibis.backends.pyspark import Backend
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise DashboardError(
                "the Spark engine needs pyspark: pip install pyspark (the version your cluster runs)"
            ) from exc
        Backend.register_options()  # the options Ibis' Spark compiler reads (ibis.pyspark.connect would do it)
        self.spark = (
            SparkSession.builder.master(master)
            .appName("taiwan-strait-dashboard")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")  # dates are local dates as written: no shifting
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        self.spark.read.parquet(parquet).createOrReplaceTempView(EVENTS_TABLE)

    def arrow(self, sql: str) -> pa.Table:
        return self.spark.sql(sql).toArrow()

    def batches(self, sql: str, size: int) -> Iterator[pa.RecordBatch]:
        # the driver collects one partition at a time, never the whole result
        rows = []
        frame = self.spark.sql(sql)
        schema = None
        for row in frame.toLocalIterator():
            rows.append(row.asDict())
            if len(rows) == size:
                batch = pa.RecordBatch.from_pylist(rows, schema=schema)
                schema = batch.schema
                yield batch
                rows = []
        if rows:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)

    def close(self) -> None:
        pass  # the session is the process's; another store may share it


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class EventStore:
    """The events of one data set as an engine sees them; every method is one query."""

    # Small answers are kept: the copy a store reads never changes, and a rerun asks again what the last one
    # asked (the details panel after a click, the same table page, the same counts).
    CACHED_ROWS = 5_000
    CACHED_ANSWERS = 1_024

    def __init__(self, engine: DuckDBEngine | SparkEngine):
        self.engine = engine
        self._answers: OrderedDict[str, pa.Table] = OrderedDict()
        self._compiled: OrderedDict[object, str] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, parquet: str, choice: EngineChoice, temp_dir: Path) -> EventStore:
        """The store over a typed copy; refused, with the reason, when the file is not one."""
        try:
            engine = (
                SparkEngine(parquet, choice.spark_master) if choice.name == "spark" else DuckDBEngine(parquet, temp_dir)
            )
            store = cls(engine)
            store.frame(EVENTS.limit(0))  # every column of the typed copy, with its type, or an error
        except DashboardError:
            raise
        except Exception as exc:  # each engine has its own errors for a missing file or a wrong column
            raise DashboardError(
                f"{parquet} cannot be read as the events' typed copy (made by `python -m dashboard validate`, "
                f"whose --copy-to writes it where a cluster can read it): {str(exc).splitlines()[0][:300]}"
            ) from exc
        return store

    @property
    def engine_name(self) -> str:
        return "spark" if isinstance(self.engine, SparkEngine) else "duckdb"

    def sql(self, expr: ir.Expr) -> str:
        """The engine's SQL for an expression, compiled once per distinct expression (Ibis compares them by
        structure; compiling costs a few milliseconds, as much as running a query on a small data set)."""
        node = expr.op()
        with self._lock:
            compiled = self._compiled.get(node)
        if compiled is None:
            compiled = ibis.to_sql(expr, dialect=self.engine.dialect)
            with self._lock:
                self._compiled[node] = compiled
                while len(self._compiled) > self.CACHED_ANSWERS:
                    self._compiled.popitem(last=False)
        return compiled

    def _answer(self, sql: str) -> pa.Table:
        with self._lock:
            kept = self._answers.get(sql)
            if kept is not None:
                self._answers.move_to_end(sql)
                return kept
        table = self.engine.arrow(sql)
        if table.num_rows <= self.CACHED_ROWS:
            with self._lock:
                self._answers[sql] = table  # Arrow tables are immutable: safe to hand out again
                while len(self._answers) > self.CACHED_ANSWERS:
                    self._answers.popitem(last=False)
        return table

    def full_sql(self, expr: ir.Expr, state: FilterState | None = None) -> str:
        """The question's SQL, with `in_view` as the events `state` keeps when it asks about them."""
        sql = self.sql(expr)
        if state is None:
            return sql
        return f"WITH {VIEW_TABLE} AS ({self.sql(queries.matching(state))})\n{sql}"

    def frame(self, expr: ir.Table, state: FilterState | None = None) -> pd.DataFrame:
        """The answer to a question; `state` is the filter whose events `in_view` holds."""
        return _frame(self._answer(self.full_sql(expr, state)))

    def scalar(self, expr: ir.Scalar, state: FilterState | None = None):
        return self._answer(self.full_sql(expr.name("value"), state)).column(0)[0].as_py()

    def frames(self, expr: ir.Table, state: FilterState | None = None, size: int = 100_000) -> Iterator[pd.DataFrame]:
        """A big answer a piece at a time (downloads, export)."""
        for batch in self.engine.batches(self.full_sql(expr, state), size):
            yield _frame(pa.Table.from_batches([batch]))

    def close(self) -> None:
        self.engine.close()
