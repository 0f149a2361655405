"""Saved and ad-hoc SPARQL: the catalog and its typed parameters, run on an engine.

The catalog (``queries/*.rq`` with a ``#+`` YAML header) is read without importing
rdflib, so ``kzgraph queries`` stays fast.  Parameters become RDF terms and are
bound by a ``VALUES`` block (see :mod:`kzgraph.sparql_text`); their values are never
pasted into the query text.

The engines live in :mod:`kzgraph.engine` (and the on-disk store's in
:mod:`kzgraph.fast`); their names are re-exported here, where callers have always
found them.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kzgraph.engine import ENGINES as ENGINES
from kzgraph.engine import Engine as Engine
from kzgraph.engine import OxigraphEngine as OxigraphEngine
from kzgraph.engine import QueryResult as QueryResult
from kzgraph.engine import RdflibEngine as RdflibEngine
from kzgraph.engine import sort_key as sort_key
from kzgraph.errors import (
    KzgraphError,
    ParameterError,
    QueryHeaderError,
    TermNotFoundError,
    UnknownQueryError,
)
from kzgraph.project import display_path
from kzgraph.sparql_text import (
    declared_prefixes,
    dollar_variables,
    params_outside_where,
    query_form,
    with_values,
)
from kzgraph.terms import IRI, XSD, Literal, Term
from kzgraph.terms import expand_iri as expand_iri
from kzgraph.terms import looks_like_iri as looks_like_iri

if TYPE_CHECKING:
    from kzgraph.resolve import Candidate, NameIndex

PARAM_TYPES = ("date", "gYear", "string", "iri", "integer", "lang")
SEVERITIES = ("error", "warning")
#: how a ``date`` parameter reads a year or a month: its first day, its last day, or both
#: (``span`` binds ``$NAME`` to the first day and ``$NAME_end`` to the last)
PERIODS = ("start", "end", "span")
SPAN_END = "_end"

# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None = None
    description: str = ""
    example: str | None = None
    #: ``iri`` parameters: the classes a value must belong to (full IRIs; empty: any)
    classes: tuple[str, ...] = ()
    #: ``date`` parameters: how a year or a month is read (one of PERIODS; None: days only)
    period: str | None = None


@dataclass(frozen=True)
class SavedQuery:
    name: str
    path: Path
    title: str
    description: str
    params: tuple[Param, ...]
    text: str
    severity: str | None = None  # checks only
    fix: str | None = None  # checks only
    #: plain-words phrasings people use for this question (``kzgraph ask`` learns from them)
    examples: tuple[str, ...] = ()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def _header(path: str, text: str) -> tuple[str, int]:
    lines, first = [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#+"):
            first = first or number
            lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif lines or (line.strip() and not line.lstrip().startswith("#")):
            break
    if not lines:
        raise QueryHeaderError("no '#+ ' YAML header (needs at least '#+ title: ...')", path=path)
    return "\n".join(lines), first


def _header_line(text: str, key: str) -> int | None:
    """The line of the header's first ``key:`` entry (a parameter name, ``params``)."""
    pattern = re.compile(rf"#\+\s*{re.escape(key)}\s*:")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
        if not line.startswith("#+") and line.strip() and not line.lstrip().startswith("#"):
            return None
    return None


def _first_use(text: str, names: set[str]) -> tuple[int | None, int | None]:
    """Line and column of the first ``$name`` (one of ``names``) outside comment lines."""
    pattern = re.compile(r"\$(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    for number, line in enumerate(text.splitlines(), start=1):
        found = None if line.lstrip().startswith("#") else pattern.search(line)
        if found is not None:
            return number, found.start() + 1
    return None, None


def parse_saved_query(path: Path, *, check: bool = False) -> SavedQuery:
    """Read one ``.rq`` file and validate its header against its text."""
    import yaml

    from kzgraph.load import read_text

    text = read_text(path)
    shown = display_path(path)
    header, first_line = _header(shown, text)
    try:
        # the C loader when pyyaml was built with libyaml: the catalog is read on every command
        meta = yaml.load(header, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + mark.line if mark is not None else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise QueryHeaderError(
            f"header is not valid YAML: {problem}", path=shown, line=line
        ) from None
    if not isinstance(meta, dict) or not isinstance(meta.get("title"), str):
        raise QueryHeaderError("header needs a 'title' string", path=shown, line=first_line)
    raw_params = meta.get("params") or {}
    if not isinstance(raw_params, dict):
        raise QueryHeaderError(
            "'params' must be a mapping of name -> {type: ...}",
            path=shown,
            line=_header_line(text, "params"),
        )
    params = [_param(str(name), spec, text, shown) for name, spec in raw_params.items()]
    used = dollar_variables(text)
    declared = {p.name for p in params} | {
        p.name + SPAN_END for p in params if p.period == "span" and p.name + SPAN_END in used
    }
    if used != declared:
        parts = []
        line, col = _first_use(text, used - declared) if used - declared else (None, None)
        if declared - used:
            line, col = _header_line(text, sorted(declared - used)[0]), None
        if used - declared:
            parts.append(f"$variables not declared in params: {', '.join(sorted(used - declared))}")
        if declared - used:
            parts.append(f"params never used as $variables: {', '.join(sorted(declared - used))}")
        raise QueryHeaderError("; ".join(parts), path=shown, line=line, col=col)
    outside = params_outside_where(text)
    if outside:
        raise QueryHeaderError(
            f"parameters used outside the WHERE group: {', '.join(sorted(outside))} "
            "(they are bound by a VALUES block in that group, so use them in its FILTERs)",
            path=shown,
        )
    severity = meta.get("severity")
    if check and severity not in SEVERITIES:
        raise QueryHeaderError("a check needs 'severity: error' or 'severity: warning'", path=shown)
    if not query_form(text):
        raise QueryHeaderError("no SELECT, ASK, CONSTRUCT or DESCRIBE found", path=shown)
    examples = meta.get("examples") or []
    if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        raise QueryHeaderError(
            "'examples' must be a list of phrasings (strings)",
            path=shown,
            line=_header_line(text, "examples"),
        )
    saved = SavedQuery(
        name=path.stem,
        path=path,
        title=meta["title"].strip(),
        description=str(meta.get("description") or "").strip(),
        params=tuple(params),
        text=text,
        severity=severity if check else None,
        fix=str(meta.get("fix") or "").strip() or None if check else None,
        examples=tuple(" ".join(e.split()) for e in examples),
    )
    for p in params:  # defaults must be valid values of their type
        if p.default is not None:
            try:
                coerce(p, p.default, saved, project_prefixes=False, named=False)
            except ParameterError as exc:
                raise QueryHeaderError(
                    f"bad default: {exc.message}", path=shown, line=_header_line(text, p.name)
                ) from None
    return saved


def _param(name: str, spec: object, text: str, shown: str) -> Param:
    """One ``params:`` entry of a header, checked."""
    line = _header_line(text, name)
    if not isinstance(spec, dict) or spec.get("type") not in PARAM_TYPES:
        raise QueryHeaderError(
            f"parameter {name!r} needs a type, one of: {', '.join(PARAM_TYPES)}",
            path=shown,
            line=line,
        )
    kind = spec["type"]
    raw_classes = spec.get("class") or []
    raw_classes = [raw_classes] if isinstance(raw_classes, str) else raw_classes
    if raw_classes and kind != "iri":
        raise QueryHeaderError(
            f"parameter {name!r}: 'class' applies to iri parameters", path=shown, line=line
        )
    classes = []
    for raw in raw_classes:
        iri = expand_iri(str(raw), declared_prefixes(text), project_prefixes=False)
        if iri is None or iri.startswith("urn:kzgraph:unchecked:"):
            raise QueryHeaderError(
                f"parameter {name!r}: class {raw!r} is not an IRI or a prefixed name the query "
                "declares",
                path=shown,
                line=line,
            )
        classes.append(iri)
    period = spec.get("period")
    if kind == "date" and period is not None and period not in PERIODS:
        raise QueryHeaderError(
            f"date parameter {name!r}: 'period' is one of: {', '.join(PERIODS)} (how a year "
            "or a month given as its value is read)",
            path=shown,
            line=line,
        )
    if kind != "date" and period is not None:
        raise QueryHeaderError(
            f"parameter {name!r}: 'period' applies to date parameters", path=shown, line=line
        )
    return Param(
        name=name,
        type=kind,
        default=None if spec.get("default") is None else str(spec["default"]),
        description=str(spec.get("description") or ""),
        example=None if spec.get("example") is None else str(spec["example"]),
        classes=tuple(classes),
        period=period,
    )


def load_catalog(folder: Path) -> dict[str, SavedQuery]:
    """Every saved query in ``folder`` (not in sub-folders), by name."""
    if not folder.is_dir():
        return {}
    return {p.stem: parse_saved_query(p) for p in sorted(folder.glob("*.rq"))}


def load_checks(folder: Path) -> list[SavedQuery]:
    """The data checks in ``folder/checks``."""
    checks = folder / "checks"
    if not checks.is_dir():
        return []
    return [parse_saved_query(p, check=True) for p in sorted(checks.glob("*.rq"))]


#: a saved query's name that is also the stem of its file (no folder, no dot file)
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def load_saved(folder: Path, name: str) -> SavedQuery:
    """The saved query ``name`` of ``folder``: its own file alone when there is one (the
    catalog of 48 takes ~0.25 s to read, one query ~6 ms), else the catalog is read.
    There a name typed otherwise (``Timeline``, ``events_in_place``, ``Events In Place``)
    is the one query it writes; otherwise :class:`UnknownQueryError` names the nearest."""
    path = folder / f"{name}.rq"
    if _FILE_NAME.fullmatch(name) and path.is_file():
        return parse_saved_query(path)
    catalog = load_catalog(folder)
    same = [known for known in catalog if _typed(known) == _typed(name)]
    if len(same) == 1:
        return catalog[same[0]]
    return find_query(catalog, name)


def _typed(name: str) -> str:
    """A query name as people may type it: any case, words joined by '-', '_' or spaces."""
    return "-".join(re.split(r"[\s_-]+", name.strip().casefold()))


def find_query(catalog: Mapping[str, SavedQuery], name: str) -> SavedQuery:
    if name in catalog:
        return catalog[name]
    close = difflib.get_close_matches(name, list(catalog), n=3, cutoff=0.5)
    close += [n for n in sorted(catalog) if name in n and n not in close][: 3 - len(close)]
    raise UnknownQueryError(name, close)


# --------------------------------------------------------------------------- parameters

_DATE = re.compile(r"^-?\d{4,}-\d{2}-\d{2}$")
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_GYEAR = re.compile(r"^-?\d{4,}$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")

_EXAMPLES = {
    "date": "1994-10-17, 1994-10 or 1994",
    "gYear": "1992",
    "integer": "10",
    "string": "any text",
    "iri": "https://w3id.org/kzgraph/resource/state/kazakhstan or state:kazakhstan",
    "lang": "en",
}


def coerce(
    param: Param,
    raw: str,
    query: SavedQuery | None = None,
    *,
    project_prefixes: bool = True,
    named: bool = True,
) -> Term:
    """Turn a command-line string into the RDF term of the parameter's type.

    A bad value is an error about what the user typed, so it names the saved query by
    the name the user typed (``saved query 'timeline': parameter 'from' ...``), not by
    its file (a path under site-packages, for the bundled queries); ``named=False``
    leaves the name out (a bad default, which the caller reports at its file:line)."""
    kind = param.type
    value = raw.strip() if kind != "string" else raw

    def bad(why: str = "") -> ParameterError:
        example = param.example or _EXAMPLES[kind]
        where = f"saved query {query.name!r}: " if query is not None and named else ""
        return ParameterError(
            f"{where}parameter {param.name!r} expects {kind} (e.g. {example}), got {raw!r}{why}"
        )

    if any("\ud800" <= ch <= "\udfff" for ch in raw):  # how Python passes on non-UTF-8 argv
        raise bad(": not valid UTF-8")
    if kind == "date":
        if param.period is None and not _DATE.match(value) and _PERIOD.match(value):
            raise bad(
                ": this query takes a day (its header has no 'period: start|end|span' saying "
                "how it reads a month or a year)"
            )
        first, last = _period(value, bad)
        return Literal(last if param.period == "end" else first, XSD + "date")
    if kind == "gYear":
        if not _GYEAR.match(value):
            raise bad()
        return Literal(value, XSD + "gYear")
    if kind == "integer":
        if not _INTEGER.match(value):
            raise bad()
        return Literal(str(int(value)), XSD + "integer")
    if kind == "lang":
        if not _LANG.match(value):
            raise bad()
        return Literal(value)
    if kind == "iri":
        iri = expand_iri(
            value,
            declared_prefixes(query.text) if query else None,
            project_prefixes=project_prefixes,
        )
        if iri is None:
            raise bad(": not a full IRI or a known prefixed name")
        import pyoxigraph as ox

        try:  # RFC 3987 in full (%-escapes, hosts, one '#'), as the engine will parse it
            ox.NamedNode(iri)
        except ValueError as exc:
            raise bad(f": {exc}") from None
        return IRI(iri)
    return Literal(value)


def _period(value: str, bad: Callable[..., ParameterError]) -> tuple[str, str]:
    """The first and last day of a day (``1994-10-17``), a month (``1994-10``) or a year."""
    if _DATE.match(value):
        try:
            _dt.date.fromisoformat(value)
        except ValueError:
            raise bad(": no such day") from None
        return value, value
    m = _PERIOD.match(value)
    if m is None:
        raise bad()
    year, month = int(m.group(1)), int(m.group(2) or 0)
    if m.group(2) is None:
        return f"{year:04d}-01-01", f"{year:04d}-12-31"
    if not 1 <= month <= 12:
        raise bad(": no such month")
    days = calendar.monthrange(year, month)[1]
    return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{days:02d}"


def period_end(param: Param, raw: str) -> Term:
    """The last day of the period ``raw`` names (a ``span`` parameter's ``$NAME_end``)."""

    def bad(why: str = "") -> ParameterError:
        return ParameterError(f"parameter {param.name!r} expects a date, got {raw!r}{why}")

    return Literal(_period(raw.strip(), bad)[1], XSD + "date")


@dataclass(frozen=True)
class Bound:
    """A saved query's parameter values as terms, and the names that were resolved."""

    values: dict[str, Term]
    #: (parameter, what was typed, what it resolved to) for each value given as a name
    resolved: tuple[tuple[str, str, Candidate], ...] = ()


def bind_params(
    query: SavedQuery,
    given: Iterable[tuple[str, str]],
    names: NameIndex | Engine | None = None,
    *,
    check_only: bool = False,
) -> Bound:
    """Check ``-p NAME VALUE`` pairs against the query and return typed terms.

    ``iri`` parameters take an IRI, a prefixed name, or a name that ``names`` resolves
    (:mod:`kzgraph.resolve`), narrowed to the parameter's classes; with ``names`` an IRI
    must also name a resource the graph has.  ``names`` may be an engine: its
    :class:`~kzgraph.resolve.NameIndex` is then built only if a name needs resolving.
    ``check_only``: check what can be checked without the graph (a name is then accepted
    unresolved)."""
    from kzgraph.resolve import NameIndex

    index = names if isinstance(names, NameIndex) else None

    def name_index() -> NameIndex:
        nonlocal index
        if index is None:
            assert isinstance(names, Engine)
            index = NameIndex.from_engine(names)
        return index

    values: dict[str, Term] = {}
    resolved: list[tuple[str, str, Candidate]] = []
    pairs = list(given)
    for name, _raw in pairs:
        if query.param(name) is None:
            declared = ", ".join(p.name for p in query.params) or "none"
            raise ParameterError(
                f"saved query {query.name!r}: no parameter {name!r} (declared: {declared})"
            )
    chosen = dict(pairs)
    for param in query.params:
        raw = chosen.get(param.name, param.default)
        if raw is None:
            raise ParameterError(
                f"parameter {param.name!r} of query {query.name!r} needs a value "
                f"({param.type}, e.g. {param.example or _EXAMPLES[param.type]}): "
                f"-p {param.name} VALUE"
            )
        if param.type == "iri" and raw.strip() and not looks_like_iri(raw):
            if any("\ud800" <= ch <= "\udfff" for ch in raw) or names is None:
                if check_only and raw.strip():
                    continue
                values[param.name] = coerce(param, raw, query)  # raises: not an IRI
                continue
            what = f"saved query {query.name!r}: parameter {param.name!r}"
            prefixes = declared_prefixes(query.text)
            found = name_index().resolve(raw, param.classes, prefixes, what=what)
            values[param.name] = IRI(found.iri)
            resolved.append((param.name, raw, found))
            continue
        values[param.name] = term = coerce(param, raw, query)
        if param.type == "iri" and names is not None and not graph_mentions(names, term.value):
            what = f"saved query {query.name!r}: parameter {param.name!r}"
            near = name_index().nearest(raw, param.classes)
            raise TermNotFoundError(raw.strip(), near, what=what)
        if param.period == "span":
            values[param.name + SPAN_END] = period_end(param, raw)
    _check_period(query, values, chosen)
    return Bound(values, tuple(resolved))


def _check_period(query: SavedQuery, values: Mapping[str, Term], chosen: Mapping[str, str]) -> None:
    """ParameterError when a query's period (one ``period: start`` and one ``period: end``
    parameter) starts after it ends: no row could fall in it."""
    starts = [p for p in query.params if p.period == "start" and p.name in values]
    ends = [p for p in query.params if p.period == "end" and p.name in values]
    if len(starts) != 1 or len(ends) != 1:
        return
    first, last = values[starts[0].name], values[ends[0].name]
    if not (isinstance(first, Literal) and isinstance(last, Literal)):
        return
    try:
        empty = _dt.date.fromisoformat(first.value) > _dt.date.fromisoformat(last.value)
    except ValueError:  # a year beyond 9999 or before 1: not compared
        return
    if empty:

        def said(param: Param, value: str) -> str:
            typed = (chosen.get(param.name, param.default) or "").strip()
            return f"{param.name} {typed}" + (f" ({value})" if typed != value else "")

        raise ParameterError(
            f"saved query {query.name!r}: the period is empty: "
            f"{said(starts[0], first.value)} is after {said(ends[0], last.value)}"
        )


def graph_mentions(names: NameIndex | Engine, iri: str) -> bool:
    """Whether the graph has ``iri`` (as a subject, or as an object)."""
    if not isinstance(names, Engine):
        return iri in names.known
    node = IRI(iri)
    return any(True for _ in names.triples(node, None, None)) or any(
        True for _ in names.triples(None, None, node)
    )


def resolve_params(
    query: SavedQuery, given: Iterable[tuple[str, str]], names: NameIndex | Engine | None = None
) -> dict[str, Term]:
    """The typed terms of ``-p NAME VALUE`` pairs (see :func:`bind_params`)."""
    return bind_params(query, given, names).values


def bind(text: str, values: Mapping[str, Term]) -> str:
    """The query text with ``values`` bound in a VALUES block (terms escaped safely)."""
    return with_values(text, {name: term.n3() for name, term in values.items()})


def open_engine(entry: Any, engine: str = "oxigraph", *, asserted_only: bool = False) -> Engine:
    """An engine over a cache entry (``kzgraph.store.CacheEntry``).

    A fast-path entry holds an on-disk Oxigraph store of the closure (``store/``): it
    is opened read-only instead of reloading the N-Triples.  The engine answers the
    full-text functions from the entry's search index (:mod:`kzgraph.search`)."""
    from kzgraph.engine import StoreEngine, TextFunctions

    stored = entry.path / "store"
    opened: Engine
    if engine == "oxigraph" and not asserted_only and stored.is_dir():
        import pyoxigraph as ox

        opened = StoreEngine(ox.Store.read_only(str(stored)), stored)
    else:
        files = [entry.asserted_path]
        opened = ENGINES[engine](files if asserted_only else [*files, entry.inferred_path])
    opened.text_functions = TextFunctions(entry.path)
    if engine == "oxigraph" and not asserted_only:  # objects built from the closure are kept
        opened.kept_dir = entry.path
    return opened


def run_saved_within(
    engine: Engine, query: SavedQuery, seconds: float | None
) -> QueryResult | None:
    """:func:`run_saved` (without parameters), stopped after ``seconds``: None if it did not
    finish by then (``seconds`` None: no limit, in this process).

    The query runs in a child process forked from this one, killed at the deadline, since
    neither Oxigraph nor rdflib can stop a query from outside.  An in-memory engine is the
    child's copy of this process's; an on-disk store is opened again there (a store's handle
    is not shared across a fork)."""
    if seconds is None:
        return run_saved(engine, query)
    import multiprocessing

    fork = multiprocessing.get_context("fork")
    receive, send = fork.Pipe(duplex=False)
    child = fork.Process(target=_run_in_child, args=(engine, query, send), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(seconds):
            return None
        try:
            outcome = receive.recv()
        except EOFError:
            raise KzgraphError(
                f"the process running {query.name} ended without an answer "
                f"(exit code {child.exitcode})",
                path=display_path(query.path),
            ) from None
    finally:
        child.kill()
        child.join()
        receive.close()
    if outcome[0] == "error":
        _kind, message, hint, code = outcome
        error = KzgraphError(message, hint=hint)
        error.exit_code = code
        raise error
    result: QueryResult = outcome[1]
    return result


def _run_in_child(engine: Engine, query: SavedQuery, send: Any) -> None:
    """The body of :func:`run_saved_within`'s child: sends ("ok", result) or ("error", ...)."""
    from kzgraph.engine import StoreEngine, TextFunctions

    try:
        if isinstance(engine, StoreEngine) and engine.location is not None:
            import pyoxigraph as ox

            searched = engine.text_functions  # kzf: functions, on an index opened here
            engine = StoreEngine(ox.Store.read_only(str(engine.location)), engine.location)
            if searched is not None:
                engine.text_functions = TextFunctions(searched.entry_dir)
        send.send(("ok", run_saved(engine, query)))
    except KzgraphError as error:
        send.send(("error", str(error), error.hint, error.exit_code))
    except Exception as error:  # noqa: BLE001 - said in one line by the parent, not a traceback
        where = display_path(query.path)
        send.send(("error", f"{where}: {type(error).__name__}: {error}", None, 2))


def run_saved(
    engine: Engine,
    query: SavedQuery,
    given: Iterable[tuple[str, str]] = (),
    names: NameIndex | Engine | None = None,
) -> QueryResult:
    """Run a saved query with ``-p`` values; names (and whether an IRI names anything) are
    resolved through ``names`` when given (see :func:`bind_params`)."""
    values = resolve_params(query, given, names)
    return engine.run(bind(query.text, values), origin=display_path(query.path))
