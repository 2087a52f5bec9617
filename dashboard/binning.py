"""What an aggregated view's map is told at each pan and zoom: counts per cell of the visible map, split by
type, from the engine; or, once few enough events are inside, the events themselves as dots."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import queries as q
from .event_store import EventStore
from .filters import FilterState

CELL_PX = 56  # a cell's side on screen: a disc with a four-digit count fits inside
# At most this many events inside the visible map are sent as dots (a click on one opens its card), as
# JSON of three numbers each, about 300 KB at the limit; above it, cells.
POINTS_LIMIT = 10_000

Box = tuple[float, float, float, float]  # south, west, north, east, in drawn degrees


@dataclass(frozen=True, eq=False)
class BinnedView:
    """One view (a filter of one data set) that the map asks about by box and zoom."""

    store: EventStore
    state: FilterState
    cut: float
    types: tuple[str, ...]  # the order of the per-type counts the map receives
    key: str
    located: int  # events in view with a position: those outside the box are `located - inside`
    points_limit: int = POINTS_LIMIT

    def __call__(self, box: Box, zoom: int) -> dict:
        south, west, north, east = box
        box = (max(south, -90.0), west, min(north, 90.0), east)
        cells = self.store.frame(q.bins(self.cut, box, zoom, CELL_PX), self.state)
        inside = int(cells["events"].sum())
        answer = {"key": self.key, "zoom": zoom, "inside": inside, "outside": self.located - inside}
        if inside <= self.points_limit:
            answer["points"] = self._points(box, inside)
            answer["bins"] = []
        else:
            answer["bins"] = self._cells(cells)
        return answer

    def _points(self, box: Box, inside: int) -> dict:
        dots = self.store.frame(q.points_in_bounds(self.cut, box, max(inside, 1)), self.state)
        by_type = {}
        for event_type, group in dots.groupby("event_type", sort=False):
            by_type[str(event_type)] = {
                "lat": np.round(group["latitude"].to_numpy(), 5).tolist(),
                "lon": np.round(group["dlon"].to_numpy(), 5).tolist(),
                "row": group[q.ROW].astype(int).tolist(),
            }
        return by_type

    def _cells(self, cells) -> list[list]:
        """[lat, lon, events, [events of each type, in `types` order]] per cell, its position the mean of
        its events' (so a cell over one island sits on the island, not at the cell's corner)."""
        order = {t: i for i, t in enumerate(self.types)}
        cells = cells.assign(
            wlat=cells["lat"] * cells["events"], wlon=cells["lon"] * cells["events"], t=cells["event_type"].map(order)
        )
        out = []
        for _, group in cells.groupby(["cx", "cy"], sort=False):
            n = int(group["events"].sum())
            split = [0] * len(self.types)
            for t, k in zip(group["t"], group["events"], strict=True):
                if t == t:  # a type the legend does not know is counted in the total only
                    split[int(t)] += int(k)
            out.append([round(group["wlat"].sum() / n, 5), round(group["wlon"].sum() / n, 5), n, split])
        return out
