"""The few exceptions the dashboard raises on purpose. The page catches only these: `DataError` where
the data is loaded (to list every problem) and `DashboardError` around the rest; anything else is a bug
and shows as one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .validation import Problem


class DashboardError(Exception):
    """Base of every error meant for a user rather than a developer."""


class DataError(DashboardError, ValueError):
    """Raised when data files break the contract; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        first = self.problems[0].format() if self.problems else "no details"
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the data; first: {first}")


class GeocodingError(DashboardError, RuntimeError):
    """Raised when the online geocoder cannot be reached or refuses a request."""


class UnknownPlaceError(DashboardError, LookupError):
    """Raised when place names resolve through neither the gazetteer, the cache nor the geocoder."""

    def __init__(self, places: list[str]):
        self.places = sorted(set(places))
        names = ", ".join(repr(p) for p in self.places)
        super().__init__(
            f"{len(self.places)} place(s) could not be located: {names}. Add them to locations.csv "
            "(name, latitude, longitude, country, aliases), give the rows latitude and longitude, or run "
            "`python -m dashboard geocode --online` on a machine with internet access."
        )
