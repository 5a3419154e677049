"""The one error hierarchy of routerisk.

Every error the library raises on purpose is a :class:`RouteRiskError`. Subclasses also
subclass the matching built-in (``ValueError``, ``KeyError``, ``FileNotFoundError``,
networkx's ``NodeNotFound``) so callers can catch either. The command line turns any
``RouteRiskError`` into a one-line message and a non-zero exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


class RouteRiskError(Exception):
    """Base class of every error routerisk raises on purpose."""


class DataNotFoundError(RouteRiskError, FileNotFoundError):
    """A data file (network, gazetteer, incidents) could not be found."""

    def __str__(self) -> str:  # FileNotFoundError formats (errno, msg) pairs oddly
        return str(self.args[0]) if self.args else ""


class SpecError(RouteRiskError, ValueError):
    """A corridor, route, or scenario specification is invalid."""


class ArgumentError(SpecError):
    """A command-line option (or the library argument behind it) has an invalid value.

    The command line exits with code 2 for it, as for any bad argument; ``option`` names the
    option when known.
    """

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class ResourceLimitError(RouteRiskError, ValueError):
    """An input would exceed a resource limit (pieces, nesting, file or field size).

    The message says which limit, its value, and what the input would have needed.
    """


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


def _graph_errors() -> None:
    """Define the two errors that also subclass networkx's, importing networkx only now
    (it takes about half the start-up time of the command line)."""
    import networkx as nx

    class NodeNotFoundError(RouteRiskError, nx.NodeNotFound):
        """A node or place is not on the road graph."""

    class NoRouteError(RouteRiskError, nx.NetworkXNoPath):
        """No route connects the requested places on the (possibly closed) network."""

    for cls in (NodeNotFoundError, NoRouteError):
        cls.__qualname__ = cls.__name__
        globals()[cls.__name__] = cls


def __getattr__(name: str):
    if name in ("NodeNotFoundError", "NoRouteError"):
        _graph_errors()
        return globals()[name]
    raise AttributeError(f"module 'routerisk.errors' has no attribute {name!r}")


# --------------------------------------------------------------------------- messages
def shown(value: object, limit: int = 60) -> str:
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "..."
        return repr(text)
    return repr(value)


def expected(err: Mapping, *, bounds: tuple | None = None) -> str:
    """What one pydantic error says was expected, in words, with the value given.

    ``"must be between -90 and 90; got 123.4"``. ``bounds`` (lower, upper,
    lower_inclusive, upper_inclusive) states both limits of a range when the field has
    them (pydantic's own context names only the one that was broken).
    """
    kind = err.get("type", "")
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "required; the value is missing or empty"
    if kind == "extra_forbidden":
        return "unknown field (misspelt?)"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        lo, hi, lo_incl, hi_incl = bounds or (ctx.get("ge", ctx.get("gt")),
                                              ctx.get("le", ctx.get("lt")),
                                              "gt" not in ctx, "lt" not in ctx)
        if lo is not None and hi is not None:
            if lo_incl and hi_incl:
                rule = f"must be between {lo:g} and {hi:g}"
            else:
                rule = (f"must be {'at least' if lo_incl else 'more than'} {lo:g} and "
                        f"{'at most' if hi_incl else 'less than'} {hi:g}")
        elif lo is not None:
            rule = f"must be {'at least' if lo_incl else 'more than'} {lo:g}"
        else:
            rule = f"must be {'at most' if hi_incl else 'less than'} {hi:g}"
        return f"{rule}; got {shown(value)}"
    if kind in {"float_parsing", "float_type"}:
        return f"must be a number; got {shown(value)}"
    if kind == "finite_number":
        return f"must be a finite number; got {shown(value)}"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return f"must be a whole number; got {shown(value)}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"must be a date YYYY-MM-DD; got {shown(value)}"
    if kind == "enum":
        return f"must be one of {ctx.get('expected', '')}; got {shown(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        size = len(value) if isinstance(value, str) else "?"
        return (f"must be at most {ctx.get('max_length')} characters; got {size} "
                f"characters (starting {shown(value, 30)})")
    if kind in {"string_type"}:
        return f"must be text; got {shown(value)}"
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if value is None or isinstance(value, (dict, list)) or kind == "value_error":
        return msg
    return f"{msg}; got {shown(value)}"


def pydantic_problems(errors: Iterable[Mapping], *, where: str = "",
                      label: Callable[[list], tuple[str, list]] | None = None) -> list[str]:
    """One line per pydantic error of a configuration file.

    ``"<where>, 'routes.2.share': must be at least 0; got -1"``. ``label`` may turn the
    start of an error's location into words (``"waypoint 3 'Kayes'"``) and return the rest.
    """
    lines = []
    for err in errors:
        loc = list(err.get("loc") or ())
        prefix = where
        if label is not None:
            words, loc = label(loc)
            prefix = ", ".join(x for x in (prefix, words) if x)
        field = ".".join(str(x) for x in loc)
        head = ", ".join(x for x in (prefix, repr(field) if field else "") if x) or "(top level)"
        lines.append(f"{head}: {expected(err)}"[:300])
    return lines
