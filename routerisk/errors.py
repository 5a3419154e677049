"""The one error hierarchy of routerisk.

Every error the library raises on purpose is a :class:`RouteRiskError`. Subclasses also
subclass the matching built-in (``ValueError``, ``KeyError``, ``FileNotFoundError``,
networkx's ``NodeNotFound``) so callers can catch either. The command line turns any
``RouteRiskError`` into a one-line message and a non-zero exit code.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx


class RouteRiskError(Exception):
    """Base class of every error routerisk raises on purpose."""


class DataNotFoundError(RouteRiskError, FileNotFoundError):
    """A data file (network, gazetteer, incidents) could not be found."""

    def __str__(self) -> str:  # FileNotFoundError formats (errno, msg) pairs oddly
        return str(self.args[0]) if self.args else ""


class SpecError(RouteRiskError, ValueError):
    """A corridor, route, or scenario specification is invalid."""


class UnknownNameError(RouteRiskError, KeyError):
    """A name (corridor, place, scenario, preset) is not known.

    ``KeyError`` quotes its message; ``__str__`` is overridden so it reads as a sentence.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ValidationError(RouteRiskError, ValueError):
    """Input data failed validation; ``problems`` lists every problem found.

    Parameters
    ----------
    source
        The file (or other source) the data came from.
    problems
        One message per problem, each naming the row, the field and what was expected.
    """

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = str(source)
        self.problems = list(problems)
        shown = self.problems[:50]
        more = len(self.problems) - len(shown)
        lines = [f"{self.source}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in shown]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines))


class GeocodeError(RouteRiskError, ValueError):
    """A place name could not be resolved, or resolved ambiguously."""


class NodeNotFoundError(RouteRiskError, nx.NodeNotFound):
    """A node or place is not on the road graph."""


class NoRouteError(RouteRiskError, nx.NetworkXNoPath):
    """No route connects the requested places on the (possibly closed) network."""
