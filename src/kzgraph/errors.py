"""Typed errors: every failure a user can cause is a ``KzgraphError``.

Library code raises these and never prints or exits; ``cli.py`` turns them into a
one-line ``Error: ...`` on stderr and an exit code.  ``str(error)`` is that line
without the ``Error:`` prefix: ``path:line:col: message`` when a position is known.
"""

from __future__ import annotations

from pathlib import Path


class KzgraphError(Exception):
    """Base class. ``exit_code`` 2 means "could not answer"; 1 means "the answer is no"."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.col = col
        self.hint = hint

    def location(self) -> str:
        parts = [p for p in (self.path, self.line, self.col) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class InputError(KzgraphError):
    """A file or directory is missing, unreadable, binary or not UTF-8."""


class ParseError(KzgraphError):
    """A Turtle (or other RDF) file has a syntax error."""


class InconsistencyError(KzgraphError):
    """OWL RL reasoning found the data inconsistent (e.g. a member of disjoint classes)."""

    exit_code = 1

    def __init__(
        self, message: str, *, nodes: tuple[str, ...] = (), messages: tuple[str, ...] = ()
    ):
        super().__init__(message)
        self.nodes = nodes
        self.messages = messages


class QueryHeaderError(KzgraphError):
    """A saved query's ``#+`` YAML header is malformed or disagrees with its text."""


class UnknownQueryError(KzgraphError):
    """No saved query has that name."""

    def __init__(self, name: str, suggestions: list[str]):
        hint = f"did you mean: {', '.join(suggestions)}?" if suggestions else None
        super().__init__(f"no saved query named {name!r}", hint=hint)
        self.name = name
        self.suggestions = suggestions


class ParameterError(KzgraphError):
    """A query parameter is unknown, missing or of the wrong type."""


class QuerySyntaxError(KzgraphError):
    """The SPARQL text does not parse."""


class TermNotFoundError(KzgraphError):
    """No resource has a name that matches what was typed (see :mod:`kzgraph.resolve`)."""

    def __init__(
        self,
        term: str,
        suggestions: list[str],
        *,
        what: str | None = None,
        note: str | None = None,
    ):
        listed = "\n".join(f"    {s}" for s in suggestions)
        hint = f"nearest names:\n{listed}" if suggestions else None
        where = f"{what}: " if what else ""
        why = f" ({note})" if note else ""
        super().__init__(f"{where}no resource matches {term!r}{why}", hint=hint)
        self.suggestions = suggestions


class AmbiguousTermError(KzgraphError):
    """What was typed matches several resources equally well; ``candidates`` are ranked
    ``(description, iri)`` pairs."""

    def __init__(
        self,
        term: str,
        candidates: list[tuple[str, str]],
        *,
        total: int | None = None,
        what: str | None = None,
    ):
        total = len(candidates) if total is None else total
        shown = "\n".join(
            f"    {i}. {label} <{iri}>" for i, (label, iri) in enumerate(candidates, 1)
        )
        more = f"\n    ... and {total - len(candidates)} more" if total > len(candidates) else ""
        where = f"{what}: " if what else ""
        super().__init__(
            f"{where}{term!r} matches {total} resources; give more of the name, or an IRI",
            hint=f"candidates:\n{shown}{more}",
        )
        self.candidates = candidates


class CacheError(KzgraphError):
    """The cache directory cannot be created or written."""


class QueryTimeoutError(KzgraphError):
    """A query ran past its time limit and was stopped (``kzgraph serve``)."""


class QueryFailedError(KzgraphError):
    """The engine could not finish a query (it ran out of memory or its worker died)."""


class NotAcceptableError(KzgraphError):
    """No representation the client accepts can be produced (HTTP 406), or an unknown format."""

    def __init__(self, message: str, *, unknown_format: bool = False):
        super().__init__(message)
        self.unknown_format = unknown_format


class QueryEvaluationError(KzgraphError):
    """The engine refused a query while evaluating it, or the endpoint does not allow it."""


class PlotError(KzgraphError):
    """A picture cannot be drawn or written (an unknown file extension, a bad period)."""


class EmptyPlotError(PlotError):
    """There is nothing to draw (no events in the period): the answer is "nothing"."""

    exit_code = 1


class EndpointError(KzgraphError):
    """A remote SPARQL or Graph Store endpoint cannot be reached or refused the request."""


class DocsError(KzgraphError):
    """``kzgraph docs`` cannot write its output folder."""


class ExportError(KzgraphError):
    """``kzgraph export`` was asked for something it cannot do (e.g. a bad ``--base``)."""


class SearchError(KzgraphError):
    """A full-text search cannot be run: empty or malformed search text, an unknown kind."""


class AskError(KzgraphError):
    """``kzgraph ask`` cannot read the question: empty, too long, or without a word."""
