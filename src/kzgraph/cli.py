"""The ``kzgraph`` command line: a thin click face over the library.

The only module that prints or exits.  stdout carries results only; progress,
counts and errors go to stderr.  Exit codes: 0 success / conforms, 1 the answer is
"no" (violations, a check found error rows), 2 the command could not answer.
Heavy libraries are imported inside commands, so ``kzgraph --help`` and
``kzgraph queries`` never import rdflib, owlrl or pyshacl.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from kzgraph import __version__
from kzgraph.errors import KzgraphError, QuerySyntaxError
from kzgraph.project import Project, display_path

if TYPE_CHECKING:
    from kzgraph.query import Engine, QueryResult
    from kzgraph.remote import Upload
    from kzgraph.resolve import Candidate
    from kzgraph.store import CacheEntry

TABLE_FORMATS = ("table", "csv", "tsv", "json", "markdown")
GRAPH_FORMATS = ("turtle", "nt", "jsonld")
EXPORT_FORMATS = ("turtle", "nt", "nq", "trig", "jsonld", "jsonld-expanded", "xml")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
#: ``kzgraph check --timeout``'s default, in seconds: the bundled data's checks take well under
#: one each; on a million triples all but two take under 30 (those two compare every pair of
#: names and texts, and had not finished after 10 minutes)
CHECK_TIMEOUT = 120.0


def _rows_text(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def err(message: str) -> None:
    click.echo(message, err=True)


def fail(error: KzgraphError | str, code: int = 2) -> NoReturn:
    if isinstance(error, KzgraphError):
        err(f"Error: {error}")
        if error.hint:
            err(f"  {error.hint}")
        code = error.exit_code
    else:
        err(f"Error: {error}")
    raise SystemExit(code)


def _one_line(error: click.UsageError) -> click.UsageError:
    """A usage error shown as one ``Error: ...`` line, without click's usage and hint lines
    (the message names the option and, for a choice, every valid value)."""
    if isinstance(error, click.exceptions.NoArgsIsHelpError) or error.ctx is None:
        return error  # NoArgsIsHelpError shows the help
    message = error.format_message().rstrip(".")
    return click.UsageError(f"{message} (see '{error.ctx.command_path} -h')")


class KzGroup(click.Group):
    """Maps library errors (and OS errors on user files) to one-line messages."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            raise _one_line(error) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise _one_line(error) from None
        except KzgraphError as error:
            fail(error)
        except BrokenPipeError:  # e.g. `kzgraph export | head`: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(0) from None
        except UnicodeDecodeError as error:
            fail(f"input is not UTF-8 text: {error.reason}")
        except OSError as error:
            where = f"{display_path(error.filename)}: " if error.filename else ""
            fail(f"{where}{error.strerror or error}")


def project_of(ctx: click.Context) -> Project:
    return ctx.find_object(Project) or Project.locate()


def _warn_inputs(warnings: Iterable[str]) -> None:
    """One ``Warning: data/x.ttl: ...`` line per input accepted with a warning."""
    for warning in warnings:
        err(f"Warning: {warning}")


def _progress() -> Any:
    if sys.stderr.isatty():
        return lambda message: err(f"kzgraph: {message}...")
    return None


def _entry(project: Project) -> CacheEntry:
    """The up-to-date cache entry, built on demand (with a note on stderr)."""
    from kzgraph.store import ensure_entry

    entry, built = ensure_entry(project, progress=_progress())
    if built:
        _warn_inputs(entry.meta.get("input_warnings", ()))
        counts = entry.meta["counts"]
        err(
            f"kzgraph: built cache ({counts['asserted']} asserted, "
            f"{counts['inferred']} inferred triples)"
        )
        if not entry.meta["validation"]["conforms"]:
            err(
                f"kzgraph: warning: the data has {entry.meta['validation']['violations']} "
                "SHACL violations; run 'kzgraph validate'"
            )
    return entry


def _engine(project: Project, engine: str = "oxigraph", asserted: bool = False) -> Engine:
    from kzgraph.query import open_engine

    return open_engine(_entry(project), engine, asserted_only=asserted)


_WIDTH_KEY = "kzgraph.width"


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta[f"{_WIDTH_KEY}.{param.name}"] = value
    given = ctx.meta.get(f"{_WIDTH_KEY}.width"), ctx.meta.get(f"{_WIDTH_KEY}.no_truncate")
    if given[0] is not None and given[1]:
        raise click.UsageError("--width and --no-truncate exclude each other", ctx)
    return value


def _width_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--width N and --no-truncate, for every command that prints tables (read back by
    :func:`_table_width`)."""
    command = click.option(
        "--no-truncate",
        is_flag=True,
        expose_value=False,
        callback=_remember,
        help="Show every cell of a table in full (as when stdout is not a terminal).",
    )(command)
    return click.option(
        "--width",
        type=click.IntRange(min=20),
        metavar="N",
        expose_value=False,
        callback=_remember,
        help="Fit tables in N characters: long cells are cut with '…' [default: the "
        "terminal's width ($COLUMNS) when stdout is a terminal, else no limit].",
    )(command)


def _table_width(indent: int = 0) -> int | None:
    """How wide a table may be: --width, else none with --no-truncate or when stdout is
    not a terminal (a pipe, a file), else $COLUMNS or the terminal's detected width."""
    import shutil

    meta = click.get_current_context().meta
    width = meta.get(f"{_WIDTH_KEY}.width")
    if meta.get(f"{_WIDTH_KEY}.no_truncate"):
        return None
    if width is None:
        if not sys.stdout.isatty():
            return None
        width = shutil.get_terminal_size().columns  # $COLUMNS first, then the terminal
    return max(width - indent, 20)


def _print_result(
    result: QueryResult, fmt: str, engine: Engine, *, fold_labels: bool = True
) -> None:
    """``fold_labels``: a saved query's ``?x ?xLabel`` show as one column in a table; a query
    the user wrote (``sparql``) keeps every column it selects.  A table fits the width
    :func:`_table_width` gives; the other formats carry every cell in full."""
    from kzgraph.render import iris_in, render_rdf, render_result

    if result.kind == "graph":
        rdf_fmt = fmt if fmt in GRAPH_FORMATS else "turtle"
        from kzgraph.namespaces import PREFIXES

        sys.stdout.buffer.write(render_rdf({None: result.triples}, rdf_fmt, PREFIXES))
        sys.stdout.flush()
        return
    if fmt in GRAPH_FORMATS:
        fmt = "table"
    labels = engine.labels(iris_in(result)) if fmt in ("table", "markdown") else {}
    width = _table_width() if fmt == "table" else None
    click.echo(render_result(result, fmt, labels, fold_labels=fold_labels, width=width), nl=False)


# --------------------------------------------------------------------------- group


@click.group(cls=KzGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="kzgraph")
@click.option(
    "--data",
    "data_dir",
    envvar="KZGRAPH_DATA",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of instance Turtle files (default: the bundled data; env KZGRAPH_DATA).",
)
@click.option(
    "--ontology",
    "ontology_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with the ontology and shapes (default: bundled).",
)
@click.option(
    "--queries",
    "queries_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of saved queries (default: bundled).",
)
@click.pass_context
def cli(
    ctx: click.Context, data_dir: Path | None, ontology_dir: Path | None, queries_dir: Path | None
) -> None:
    """Query the Kazakhstan-Turkey relations knowledge graph; every answer traced to [P#].

    \b
    Examples:
      kzgraph queries
      kzgraph query timeline -p from 1991-12-16 -p to 1994-12-31
      kzgraph describe "Nursultan Nazarbayev"
      kzgraph sparql 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
      kzgraph --data ./my-data validate
    """
    ctx.obj = Project.locate(data_dir, ontology_dir, queries_dir)


# --------------------------------------------------------------------------- build


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even if the cache is up to date.")
@click.option(
    "--engine",
    type=click.Choice(["auto", "reference", "fast"]),
    default="auto",
    show_default=True,
    help="reference: rdflib + owlrl + pyshacl; fast: Oxigraph with rules generated from the "
    "ontology and SHACL as SPARQL (same results); auto: fast above ~20k triples.",
)
@click.pass_context
def build(ctx: click.Context, force: bool, engine: str) -> None:
    """Load, reason over, validate and cache the graph.

    \b
    Examples:
      kzgraph build
      kzgraph build --force
      kzgraph --data ./big-data build --engine fast
      KZGRAPH_CACHE=./kzcache kzgraph build
    """
    from kzgraph.store import build as build_cache

    result = build_cache(
        project_of(ctx),
        force=force,
        progress=_progress(),
        engine=None if engine == "auto" else engine,
    )
    meta = result.entry.meta
    _warn_inputs(meta.get("input_warnings", ()))
    counts = meta["counts"]
    verb = "built" if result.built else "up to date"
    err(
        f"kzgraph: cache {verb}: {counts['asserted']} triples asserted, "
        f"{counts['inferred']} inferred ({result.seconds:.2f} s, "
        f"{meta.get('engine', 'reference')} path) in {result.entry.path}"
    )
    validation = meta["validation"]
    if not validation["conforms"]:
        err(
            f"kzgraph: the data does not conform: {validation['violations']} violations, "
            f"{validation['warnings']} warnings; run 'kzgraph validate' for the report"
        )
        ctx.exit(1)


# --------------------------------------------------------------------------- validate


def _data_paths(paths: tuple[Path, ...], project: Project) -> list[Path]:
    if not paths:
        return project.data_files()
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.rglob("*.ttl"))
            if not found:
                raise KzgraphError("no .ttl files in this folder", path=display_path(path))
            files += found
        else:
            files.append(path)
    return files


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "turtle"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], fmt: str) -> None:
    """Check the data against the SHACL shapes (after OWL RL reasoning).

    Exit 0 when the data conforms, 1 when there are violations, 2 when a file
    cannot be read or parsed.

    \b
    Examples:
      kzgraph validate
      kzgraph validate data/*.ttl
      kzgraph validate -f json > report.json
    """
    from kzgraph.errors import InconsistencyError
    from kzgraph.load import load_graph
    from kzgraph.reason import reason
    from kzgraph.render import render_validation, validation_turtle
    from kzgraph.validate import validate_graph

    project = project_of(ctx)
    started = time.perf_counter()
    data_files = _data_paths(paths, project)
    loaded = load_graph(project.ontology_files() + data_files, instances_only=data_files)
    shapes_loaded = load_graph(project.shapes_files())
    shapes = shapes_loaded.graph
    _warn_inputs(loaded.warnings + shapes_loaded.warnings)
    try:
        closure = reason(loaded.graph)
    except InconsistencyError as error:
        for message in error.messages:
            click.echo(f"inconsistent: {message}")
        err(f"kzgraph: {len(error.messages)} OWL RL inconsistencies; the data cannot be validated")
        ctx.exit(1)
    report = validate_graph(closure.closed, shapes, loaded.sources, scratch=True)
    if fmt == "turtle":
        click.echo(validation_turtle(report), nl=False)
    else:
        click.echo(render_validation(report, fmt), nl=False)
    verdict = "conforms" if report.conforms else "does not conform"
    err(
        f"kzgraph: the data ({len(data_files)} files) {verdict}: {report.violations} violations, "
        f"{report.warnings} warnings ({time.perf_counter() - started:.2f} s)"
    )
    ctx.exit(0 if report.conforms else 1)


# --------------------------------------------------------------------------- check


@cli.command()
@click.option("--engine", type=click.Choice(["oxigraph", "rdflib"]), default="oxigraph")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=CHECK_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Stop a check that runs longer and say so (0: no limit). Some checks compare every "
    "pair of names and texts: on a million triples they had not finished after 10 minutes.",
)
@_width_options
@click.pass_context
def check(ctx: click.Context, engine: str, timeout: float) -> None:
    """Run the data-quality checks in queries/checks/.

    Prints the rows each check finds, grouped by check, with severity and fix.
    Exit 1 if any check of severity "error" finds a row; else exit 2 if a check
    did not finish within --timeout.

    \b
    Examples:
      kzgraph check
      kzgraph --queries ./my-queries check
      kzgraph check --timeout 600
    """
    from kzgraph.query import load_checks, run_saved_within
    from kzgraph.render import iris_in, to_table

    project = project_of(ctx)
    checks = load_checks(project.queries_dir)
    if not checks:
        err(f"kzgraph: no checks in {display_path(project.queries_dir / 'checks')}")
        return
    store = _engine(project, engine)
    errors = warnings = unfinished = 0
    first = True
    for chk in checks:
        # load_checks refuses a check whose severity is not "error" or "warning"
        assert chk.severity is not None
        result = run_saved_within(store, chk, timeout or None)
        if result is None:
            unfinished += 1
            err(f"kzgraph: check {chk.name} did not finish in {timeout:g} s (see --timeout)")
            continue
        if not result.rows:
            continue
        if chk.severity == "error":
            errors += len(result.rows)
        else:
            warnings += len(result.rows)
        labels = store.labels(iris_in(result))
        if not first:
            click.echo()
        first = False
        click.echo(f"{chk.severity.upper()} {chk.name}: {chk.title} ({len(result.rows)} rows)")
        if chk.fix:
            click.echo(f"  fix: {chk.fix}")
        cells = []
        for row in result.rows:
            cells.append(
                [
                    (labels.get(t.value, t.value) + f" <{t.value}>")
                    if t is not None and t.__class__.__name__ == "IRI" and i == 0
                    else (labels.get(t.value, t.value) if t is not None else "")
                    for i, t in enumerate(row)
                ]
            )
        table = to_table(list(result.variables), cells, _table_width(indent=2))
        click.echo("".join(f"  {line}\n" for line in table.splitlines()), nl=False)
    stopped = f", {unfinished} not finished" if unfinished else ""
    err(f"kzgraph: {len(checks)} checks: {errors} error rows, {warnings} warning rows{stopped}")
    ctx.exit(1 if errors else 2 if unfinished else 0)


# --------------------------------------------------------------------------- queries


def _params_summary(query: Any) -> str:
    parts = []
    for p in query.params:
        parts.append(f"{p.name}={p.default}" if p.default not in (None, "") else p.name)
    return " ".join(parts)


@cli.command()
@click.option(
    "--long", "long_", is_flag=True, help="Document each query and show an example result."
)
@_width_options
@click.pass_context
def queries(ctx: click.Context, long_: bool) -> None:
    """List the saved queries (name, title, parameters with defaults).

    \b
    Examples:
      kzgraph queries
      kzgraph queries --long
    """
    from kzgraph.query import load_catalog

    project = project_of(ctx)
    catalog = load_catalog(project.queries_dir)
    if not catalog:
        err(f"kzgraph: no saved queries in {display_path(project.queries_dir)}")
        return
    if not long_:
        from kzgraph.render import to_table

        rows = [[q.name, q.title, _params_summary(q)] for q in catalog.values()]
        header = ["name", "title", "params (default)"]
        click.echo(to_table(header, rows, _table_width()), nl=False)
        return
    from kzgraph.query import run_saved

    store = _engine(project)
    for i, q in enumerate(catalog.values()):
        if i:
            click.echo()
        click.echo(f"## {q.name}: {q.title}")
        if q.description:
            click.echo(f"\n{q.description}")
        if q.examples:
            click.echo("\nAsked as ('kzgraph ask'):")
            for phrasing in q.examples:
                click.echo(f"  - {phrasing}")
        if q.params:
            click.echo("\nParameters:")
            for p in q.params:
                bits = [p.type]
                if p.default not in (None, ""):
                    bits.append(f"default {p.default}")
                if p.example:
                    bits.append(f"e.g. {p.example}")
                desc = f": {p.description}" if p.description else ""
                click.echo(f"  -p {p.name} ({', '.join(bits)}){desc}")
        given = [(p.name, p.example) for p in q.params if p.default is None and p.example]
        example = " ".join(f"-p {n} {v}" for n, v in given)
        click.echo(f"\nExample: kzgraph query {q.name}{' ' + example if example else ''}\n")
        try:
            result = run_saved(store, q, given)
        except KzgraphError as error:
            click.echo(f"(cannot run the example: {error})")
            continue
        shown = result
        if result.kind == "select" and len(result.rows) > 5:
            from dataclasses import replace

            shown = replace(result, rows=result.rows[:5])
        _print_result(shown, "table", store)
        if shown is not result:
            click.echo(f"... {len(result.rows)} rows in all")


# --------------------------------------------------------------------------- remote

_ENDPOINT = click.option(
    "--endpoint",
    metavar="URL",
    help="Run on a remote SPARQL 1.1 endpoint instead of the local graph (a bare server "
    "URL such as http://127.0.0.1:7878 means Oxigraph's URL/query). Credentials: env "
    "KZGRAPH_ENDPOINT_TOKEN, or KZGRAPH_ENDPOINT_USER and KZGRAPH_ENDPOINT_PASSWORD.",
)
_BASE = click.option(
    "--base",
    metavar="IRI",
    envvar="KZGRAPH_BASE",
    help="Where the resources live: resource IRIs (https://w3id.org/kzgraph/resource/...) "
    "start with IRI instead (absolute http(s), ending with / or #; env KZGRAPH_BASE).",
)
_TIMEOUT = click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds to wait for the endpoint's answer (with --endpoint).",
)


def _resource_base(project: Project, base: str | None) -> str | None:
    """Where the resources go: --base, else KZGRAPH_BASE, else the data folder's
    dataset.toml ``resources``; None when that is where they already are."""
    from kzgraph.export import check_base
    from kzgraph.metadata import read_metadata
    from kzgraph.namespaces import RESOURCE_BASE

    base = base or os.environ.get("KZGRAPH_BASE") or None
    if base is not None:
        return check_base(base)
    resources = read_metadata(project.data_dir).resources
    return None if resources == RESOURCE_BASE else resources


def _query_engine(
    ctx: click.Context,
    endpoint: str | None,
    engine: str,
    asserted: bool,
    timeout: float,
    base: str | None = None,
) -> tuple[Engine, str]:
    """The local engine, or a RemoteEngine for --endpoint (its store's resources under
    ``base``); and its name for the stderr note."""
    source = ctx.get_parameter_source
    if endpoint is None:
        if source("timeout") == click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError("--timeout applies to --endpoint only")
        if base is not None and source("base") == click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError(
                "--base applies to --endpoint only (the local graph is not moved)"
            )
        return _engine(project_of(ctx), engine, asserted), engine
    base = _resource_base(project_of(ctx), base)
    if asserted:
        raise click.UsageError("--asserted applies to the local graph, not to --endpoint")
    if source("engine") == click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("--engine applies to the local graph, not to --endpoint")
    from kzgraph.remote import RemoteEngine

    remote = RemoteEngine(endpoint, timeout=timeout, resource_base=base)
    for warning in remote.warnings:
        err(f"kzgraph: warning: {warning}")
    return remote, remote.url


def _resolve_term(engine: Engine, term: str) -> str:
    """The IRI of the one resource ``term`` names (see kzgraph.resolve), said on stderr.  An
    IRI or prefixed name that the graph has needs no index of names (at 1M triples reading
    the kept one is most of a second)."""
    from kzgraph.query import graph_mentions
    from kzgraph.resolve import NameIndex
    from kzgraph.terms import expand_iri, looks_like_iri

    iri = expand_iri(term) if looks_like_iri(term) else None
    if iri is not None and graph_mentions(engine, iri):
        _say_named(term, engine.labels([iri])[iri], iri)
        return iri
    found = NameIndex.from_engine(engine).resolve(term)
    _say_resolved([("", term, found)])
    return found.iri


def _say_resolved(resolved: Iterable[tuple[str, str, Candidate]]) -> None:
    """One stderr line per name resolved: ``kzgraph: "Demirel" → Süleyman Demirel <…>``."""
    for _param, typed, found in resolved:
        _say_named(typed, found.label, found.iri)


def _say_named(typed: str, label: str, iri: str) -> None:
    """``kzgraph: "Demirel" → Süleyman Demirel <…>``, unless what was typed is the IRI."""
    if typed.strip() != iri:
        err(f'kzgraph: "{typed.strip()}" → {label} <{iri}>')


# --------------------------------------------------------------------------- completion
# Shell completion (click's own: _KZGRAPH_COMPLETE=bash_source|zsh_source|fish_source):
# command names come from click; these add the saved queries' names and their parameters.

_ARGS_KEY = "kzgraph.completing"


class _CompletingCommand(click.Command):
    """A command that keeps the words typed so far while a shell asks for completions
    (click parses them leniently then), so that ``-p`` can tell a parameter's name from
    its value."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.resilient_parsing:
            ctx.meta[_ARGS_KEY] = list(args)
        return super().parse_args(ctx, args)


def _completion_queries_dir(ctx: click.Context) -> Path:
    """The saved-queries folder of the command line being completed (--queries, if typed)."""
    return Project.locate(queries=ctx.find_root().params.get("queries_dir")).queries_dir


def _complete_query_name(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """The saved queries whose name starts with what was typed, each with its title (read
    from its ``#+ title:`` line alone: a shell waits for this, so no YAML is parsed)."""
    import glob
    import re

    from click.shell_completion import CompletionItem

    try:
        paths = sorted(_completion_queries_dir(ctx).glob(f"{glob.escape(incomplete)}*.rq"))
    except OSError:
        return []
    found = []
    for path in paths:
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:2000]
        except OSError:
            continue
        title = re.search(r"^#\+ title:[ \t]*(.*?)[ \t]*$", head, re.M)
        found.append(CompletionItem(path.stem, help=title.group(1).strip("\"'") if title else None))
    return found


def _complete_param(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """After ``-p``: the parameters of the query named on the line not set yet (with their
    type and default); after ``-p NAME``: nothing (the value is free text)."""
    from click.shell_completion import CompletionItem

    from kzgraph.query import parse_saved_query

    words = ctx.meta.get(_ARGS_KEY, [])
    flags = [i for i, word in enumerate(words) if word in ("-p", "--param")]
    if not flags or len(words) - flags[-1] - 1 != 0:  # a NAME already follows the last -p
        return []
    name = ctx.params.get("name") or (ctx.args[0] if ctx.args else None)
    path = _completion_queries_dir(ctx) / f"{name}.rq"
    if not name or not path.is_file():
        return []
    try:
        saved = parse_saved_query(path)
    except (KzgraphError, OSError):
        return []
    given = {words[i + 1] for i in flags[:-1] if i + 1 < len(words)}
    return [
        CompletionItem(
            p.name,
            help=p.type + (f", default {p.default}" if p.default not in (None, "") else ""),
        )
        for p in saved.params
        if p.name.startswith(incomplete) and p.name not in given
    ]


# --------------------------------------------------------------------------- query


@cli.command(cls=_CompletingCommand)
@click.argument("name", shell_complete=_complete_query_name)
@click.option(
    "-p",
    "--param",
    "params",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="Set a parameter (repeatable).",
    shell_complete=_complete_param,
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(TABLE_FORMATS + GRAPH_FORMATS),
    default="table",
    show_default=True,
    help="Output format (RDF formats apply to CONSTRUCT/DESCRIBE queries).",
)
@click.option("--asserted", is_flag=True, help="Query asserted triples only (no inferences).")
@click.option(
    "--engine",
    type=click.Choice(["oxigraph", "rdflib"]),
    default="oxigraph",
    show_default=True,
    help="SPARQL engine; rdflib is the slower reference.",
)
@_ENDPOINT
@_TIMEOUT
@_BASE
@_width_options
@click.pass_context
def query(
    ctx: click.Context,
    name: str,
    params: tuple[tuple[str, str], ...],
    fmt: str,
    asserted: bool,
    engine: str,
    endpoint: str | None,
    timeout: float,
    base: str | None,
) -> None:
    """Run a saved query by name, on the local graph or on a SPARQL endpoint.

    Parameters are bound as RDF terms in a VALUES block, on endpoints too.

    \b
    Examples:
      kzgraph query timeline
      kzgraph query timeline -p from 1992-01-01 -p to 1992-12-31 -f csv
      kzgraph query timeline -f json --engine rdflib
      kzgraph query visits-by-person -p person person:turgut-ozal --endpoint http://127.0.0.1:7878
      kzgraph query summits --endpoint http://127.0.0.1:7878/query --timeout 5 -f csv
      kzgraph query summits --endpoint http://127.0.0.1:7878 --base https://data.example.org/kz/

    With --endpoint and --base (or KZGRAPH_BASE), the query's resource IRIs are moved to
    the base the store's data was exported or published with.
    """
    from kzgraph.query import bind, bind_params, load_saved

    project = project_of(ctx)
    saved = load_saved(project.queries_dir, name)
    if saved.name != name:
        err(f'kzgraph: "{name}" is the saved query {saved.name}')
    bind_params(saved, params, check_only=True)  # fail on bad parameters before building
    origin = _saved_origin(saved)
    if endpoint is None and engine == "oxigraph":
        _check_query(saved.text, origin)
    store, where = _query_engine(ctx, endpoint, engine, asserted, timeout, base)
    bound = bind_params(saved, params, store)
    _say_resolved(bound.resolved)
    result = store.run(bind(saved.text, bound.values), origin=origin)
    _print_result(result, fmt, store)
    if result.kind == "select":
        err(f"kzgraph: {_rows_text(len(result.rows))} ({result.seconds * 1000:.0f} ms, {where})")


def _saved_origin(saved: Any) -> str:
    """How errors name a saved query: its file (``path:line:col``) when it comes from a
    --queries folder the user gave, else ``saved query 'NAME'`` -- the name the user
    typed, not a path under site-packages."""
    if click.get_current_context().find_root().params.get("queries_dir") is not None:
        return display_path(saved.path)
    return f"saved query {saved.name!r}"


# --------------------------------------------------------------------------- sparql


@cli.command()
@click.argument("text", required=False, metavar="[QUERY | -]")
@click.option(
    "--file",
    "file_",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the query from FILE.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(TABLE_FORMATS + GRAPH_FORMATS),
    default=None,
    help="Output format [default: table; turtle for CONSTRUCT/DESCRIBE].",
)
@click.option("--asserted", is_flag=True, help="Query asserted triples only (no inferences).")
@click.option(
    "--engine", type=click.Choice(["oxigraph", "rdflib"]), default="oxigraph", show_default=True
)
@_ENDPOINT
@_TIMEOUT
@_width_options
@click.pass_context
def sparql(
    ctx: click.Context,
    text: str | None,
    file_: Path | None,
    fmt: str | None,
    asserted: bool,
    engine: str,
    endpoint: str | None,
    timeout: float,
) -> None:
    """Run an ad-hoc SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE).

    Prefixes of the project (kz:, person:, state:, rdfs:, ...) are predeclared. A table
    shows an IRI by its label, and keeps every column you select: ?x beside ?xLabel shows
    as its prefixed IRI (csv, tsv and json give every value as it is).

    \b
    Examples:
      kzgraph sparql 'SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)'
      kzgraph sparql --file my-query.rq -f csv
      echo 'DESCRIBE person:nursultan-nazarbayev' | kzgraph sparql - -f nt
      kzgraph sparql 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' --endpoint http://127.0.0.1:7878
    """
    from kzgraph.load import read_text

    if (text is None) == (file_ is None):
        raise click.UsageError("give the query as an argument, '-' for stdin, or --file FILE")
    origin = None
    if file_ is not None:
        text = read_text(file_)
        origin = display_path(file_)
    elif text == "-":
        text = sys.stdin.read()
        origin = "<stdin>"
    assert text is not None
    _refuse_update(text, origin or "<query>")
    full = _with_prefixes(text)
    added = full[: len(full) - len(text)].count("\n")
    try:
        if endpoint is None and engine == "oxigraph":
            _check_query(full, origin or "<query>")
        store, where = _query_engine(ctx, endpoint, engine, asserted, timeout)
        result = store.run(full, origin=origin or "<query>")
    except QuerySyntaxError as error:  # report positions in the user's own text
        import re

        if error.line is not None:
            error.line -= added
        error.message = re.sub(
            r"(\d+):(\d+)",
            lambda m: f"{int(m.group(1)) - added}:{m.group(2)}",
            error.message,
            count=1,
        )
        raise
    except KzgraphError as error:  # an endpoint's 400: its line:col counts our PREFIX lines
        import re

        head, sep, answer = error.message.partition(" answered 400")
        if sep and added:
            answer = re.sub(
                r"\b(\d+):(\d+)\b",
                lambda m: f"{max(1, int(m.group(1)) - added)}:{m.group(2)}",
                answer,
                count=1,
            )
            error.message = head + sep + answer
        raise
    _print_result(result, fmt or "table", store, fold_labels=False)
    if result.kind == "select":
        err(f"kzgraph: {_rows_text(len(result.rows))} ({result.seconds * 1000:.0f} ms, {where})")


def _refuse_update(text: str, origin: str) -> None:
    """kzgraph only reads: a SPARQL update is refused with the position of its keyword."""
    from kzgraph.errors import QueryEvaluationError
    from kzgraph.load import text_position
    from kzgraph.sparql_text import update_keyword

    keyword = update_keyword(text)
    if keyword is not None:
        line, col = text_position(text, keyword.start)
        raise QueryEvaluationError(
            f"SPARQL update ({keyword.text.upper()}) refused: kzgraph only reads "
            "(SELECT, ASK, CONSTRUCT, DESCRIBE)",
            path=origin,
            line=line,
            col=col,
        )


def _check_query(text: str, origin: str) -> None:
    """Parse ``text`` (run it on an empty store) so that a broken query is reported before
    the graph is built: a typo must not cost a build or write a cache entry.  A query
    with SERVICE is left to the real run (it would call the remote endpoint)."""
    import re

    from kzgraph.query import OxigraphEngine

    _refuse_update(text, origin)
    if re.search(r"\bSERVICE\b", text, re.IGNORECASE):
        return
    try:
        OxigraphEngine().run(text, origin=origin)
    except QuerySyntaxError as error:  # Oxigraph lists every character it expected instead
        if "Prefix not found" in error.message and error.line and error.col:
            before = text.splitlines()[error.line - 1][: error.col - 1]
            name = re.search(r"([A-Za-z][\w.-]*)?:[\w.-]*$", before)
            if name is not None:
                error.message = (
                    f"SPARQL syntax error: undefined prefix '{name.group(1) or ''}:' "
                    "(add a PREFIX line)"
                )
                error.col = name.start() + 1
        raise


def _with_prefixes(text: str) -> str:
    """Prepend PREFIX lines for project prefixes the query does not declare itself."""
    from kzgraph.namespaces import FUNCTIONS, PREFIXES
    from kzgraph.sparql_text import declared_prefixes

    declared = declared_prefixes(text)
    known = {**PREFIXES, "kzf": FUNCTIONS}  # kzf: the full-text functions (kzgraph.search)
    extra = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in known.items() if p not in declared)
    return extra + text if "BASE" not in text.upper().split() else text


# --------------------------------------------------------------------------- export


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def write_atomically(target: Path, content: bytes) -> None:
    """Write ``content`` to ``target`` via a temporary file and a rename.

    The temporary file, ``.NAME.PID.XXXXXXXX.tmp`` beside the target, is removed on any
    error; one left by a killed process (SIGKILL) is removed by the next write to the target.
    """
    import re
    import tempfile

    directory = target.resolve().parent
    prefix = f".{target.name}."
    leftover = re.compile(re.escape(prefix) + r"(\d+)\.[a-z0-9_]{8}\.tmp")
    for name in os.listdir(directory):
        m = leftover.fullmatch(name)
        if m and not _running(int(m.group(1))):
            try:
                os.unlink(directory / name)
            except OSError:
                pass  # e.g. removed by another writer meanwhile
    handle, tmp_name = tempfile.mkstemp(
        prefix=f"{prefix}{os.getpid()}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(handle, "wb") as out:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(out.fileno(), 0o666 & ~umask)  # as open() would, not mkstemp's 0600
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


def _check_output(target: Path) -> None:
    """Refuse an output file whose folder is missing or not writable, before any work."""
    from kzgraph.errors import InputError

    folder = target.resolve().parent
    if not folder.is_dir():
        raise InputError(
            f"cannot write: no such folder {display_path(folder)}", path=display_path(target)
        )
    if not os.access(folder, os.W_OK):
        raise InputError(
            f"cannot write: folder {display_path(folder)} is not writable",
            path=display_path(target),
        )


@cli.command()
@click.option(
    "-f", "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="turtle", show_default=True
)
@click.option(
    "--inferred", is_flag=True, help="Include the OWL RL inferences (nq/trig: a separate graph)."
)
@click.option(
    "--with-void",
    is_flag=True,
    help="Include the VoID/DCAT-AP description of the exported triples (nq/trig: graph "
    "<base>graph/void, base from data/dataset.toml: https://w3id.org/kzgraph/graph/void).",
)
@_BASE
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (atomically).",
)
@click.pass_context
def export(
    ctx: click.Context,
    fmt: str,
    inferred: bool,
    with_void: bool,
    base: str | None,
    output: Path | None,
) -> None:
    """Export the graph as RDF, deterministically (same input, same bytes).

    Every literal is written as the data writes it (lexical form, language tag).
    jsonld is compact JSON-LD whose @context holds the project's prefixes (the context
    `kzgraph serve` publishes at /context.jsonld); jsonld-expanded has full IRIs and no
    context.

    \b
    Examples:
      kzgraph export > kzgraph.ttl
      kzgraph export -f nq --inferred -o kzgraph.nq
      kzgraph export -f jsonld -o kzgraph.jsonld
      kzgraph export -f jsonld-expanded -o kzgraph.expanded.jsonld
      kzgraph export -f nt --inferred --with-void -o kzgraph.nt
      kzgraph export --base https://data.example.org/kz/ -o kzgraph.ttl
    """
    from kzgraph.export import export_graphs, export_prefixes
    from kzgraph.metadata import read_metadata
    from kzgraph.render import render_rdf

    project = project_of(ctx)
    base = _resource_base(project, base)  # before building anything
    if output is not None:
        _check_output(output)
    meta = read_metadata(project.data_dir)
    entry = _entry(project)
    graphs = export_graphs(
        entry,
        inferred=inferred,
        with_void=with_void,
        base=base,
        named=fmt in ("nq", "trig"),
        meta=meta,
    )
    prefixes = export_prefixes(base)
    content = render_rdf(graphs, fmt, prefixes)
    if output is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    else:
        write_atomically(output, content)
        err(f"kzgraph: wrote {display_path(output)} ({len(content)} bytes, {fmt})")


# --------------------------------------------------------------------------- publish


@cli.command()
@click.option(
    "--endpoint",
    metavar="URL",
    required=True,
    help="Graph Store endpoint (Oxigraph: http://HOST:PORT/store; a bare http://HOST:PORT "
    "means that; Fuseki: http://HOST:3030/DATASET/data). user:password@ in it is HTTP Basic.",
)
@click.option(
    "--graph",
    metavar="IRI",
    help="Upload into this named graph (?graph=IRI) instead of the default graph (?default).",
)
@click.option(
    "--inferred/--asserted",
    default=True,
    show_default=True,
    help="Upload the asserted triples plus the OWL RL inferences, or the asserted ones only.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the graph's content (HTTP PUT); without it the triples are added (POST).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=120.0,
    show_default=True,
    help="Seconds to wait for the server's answer.",
)
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="After the upload, read the graph back (GET, same URL) and compare its count of "
    "triples with what was sent.",
)
@click.option(
    "--with-void",
    is_flag=True,
    help="Also upload the dataset's VoID/DCAT-AP description (as export --with-void).",
)
@_BASE
@click.option(
    "--layout",
    type=click.Choice(["one", "named"]),
    default="one",
    show_default=True,
    help="one: everything into one graph (the default graph, or --graph); named: the graphs "
    "of export -f nq: asserted, inferred and void into <base>graph/... (base from "
    "data/dataset.toml: https://w3id.org/kzgraph/).",
)
@click.pass_context
def publish(
    ctx: click.Context,
    endpoint: str,
    graph: str | None,
    inferred: bool,
    replace: bool,
    timeout: float,
    verify: bool,
    with_void: bool,
    base: str | None,
    layout: str,
) -> None:
    """Upload the graph to a triple store (SPARQL 1.1 Graph Store HTTP Protocol).

    Sends N-Triples: by default the reasoned graph (asserted + inferred), so that the
    saved queries give the same answers there as here, on stores without an OWL
    reasoner.  Blank nodes are sent as skolem IRIs (as export writes them), so a second
    upload without --replace adds nothing.  The cache's files are streamed, so memory
    stays flat at any size.  Then it reads the graph back and counts its triples (exit 2
    if the graph holds fewer than were sent).  Redirects are not
    followed: the error names the new URL.  Credentials: KZGRAPH_ENDPOINT_TOKEN (bearer),
    or KZGRAPH_ENDPOINT_USER and KZGRAPH_ENDPOINT_PASSWORD (basic); they go to the
    endpoint's scheme, host and port only.

    \b
    Examples:
      kzgraph publish --endpoint http://127.0.0.1:7878 --replace
      kzgraph publish --endpoint http://127.0.0.1:7878 --replace --with-void --layout named
      kzgraph publish --endpoint http://127.0.0.1:7878 --replace --base https://data.example.org/kz/
      kzgraph publish --endpoint http://127.0.0.1:7878/store --graph https://w3id.org/kzgraph/graph/kz
      kzgraph publish --endpoint http://127.0.0.1:7878/store --asserted
      KZGRAPH_ENDPOINT_USER=admin KZGRAPH_ENDPOINT_PASSWORD="$PW" kzgraph publish --endpoint http://127.0.0.1:7878
    """
    from kzgraph.export import export_graphs, rebased_entry, skolemise_lines
    from kzgraph.metadata import read_metadata
    from kzgraph.remote import graph_url, parse_endpoint, upload
    from kzgraph.render import render_rdf

    if layout == "named" and graph is not None:
        raise click.UsageError("--graph and --layout named exclude each other")
    target = parse_endpoint(endpoint)  # URL, credentials and graph IRI checked before building
    graph_url(target.url, graph)
    project = project_of(ctx)
    base = _resource_base(project, base)
    meta = read_metadata(project.data_dir)
    for warning in target.warnings:
        err(f"kzgraph: warning: {warning}")
    entry = _entry(project)
    # the cache files are streamed (blank nodes as skolem IRIs, line by line), so a graph
    # of any size is sent without being read into memory; only the description is built
    folder = rebased_entry(entry.path, base) if base else entry.path
    files: dict[str, list[Path | bytes]] = {"asserted": [folder / "asserted.nt"]}
    if inferred:
        files["inferred"] = [folder / "inferred.nt"]
    if with_void:
        graphs = export_graphs(
            entry, inferred=inferred, with_void=True, base=base, named=True, meta=meta
        )
        files["description"] = [render_rdf({None: graphs[f"{meta.base}graph/void"]}, "nt")]
    uploads: list[tuple[str | None, str, list[Path | bytes]]]
    if layout == "named":
        names = {"asserted": "asserted", "inferred": "inferred", "description": "void"}
        uploads = [
            (f"{meta.base}graph/{names[part]}", part, content) for part, content in files.items()
        ]
    else:
        uploads = [(graph, " + ".join(files), [p for content in files.values() for p in content])]
    for name, what, content in uploads:
        done = upload(
            content, target, graph=name, replace=replace, timeout=timeout, verify=verify,
            convert=skolemise_lines,
        )  # fmt: skip
        _report_upload(done, what, replace, verify)


def _report_upload(done: Upload, what: str, replace: bool, verify: bool) -> None:
    """The line that says what one upload did, and its warnings."""
    where = f"graph <{done.graph}>" if done.graph else "the default graph"
    verb = "replaced" if replace else "added to"
    checked = done.verified
    if checked is None:
        check = "not verified" + (" (--no-verify)" if not verify else "")
    elif checked.before is None:
        check = f"verified: the graph holds {checked.after} triples"
    else:
        check = f"verified: the graph holds {checked.after} triples, {checked.before} before"
    err(
        f"kzgraph: uploaded {done.triples} triples ({what}) to {done.url}: {verb} {where} "
        f"(HTTP {done.status}, {done.seconds:.2f} s); {check}"
    )
    if checked is None and verify:
        err(f"kzgraph: warning: not verified: {done.not_verified}")
    if checked is not None and checked.before is None and checked.after > checked.sent:
        err(
            f"kzgraph: warning: the graph holds {checked.after - checked.sent} triples more than "
            "were sent: the store's own inferences, or the PUT did not replace the graph"
        )


# --------------------------------------------------------------------------- diff


@cli.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "sparql"]),
    default="text",
    show_default=True,
    help="text: by resource, for people; sparql: a SPARQL 1.1 Update (DELETE DATA, INSERT "
    "DATA) that turns a store holding OLD into one holding NEW.",
)
@click.option("--graph", metavar="IRI", help="The patch changes this named graph (sparql format).")
def diff(old: Path, new: Path, fmt: str, graph: str | None) -> None:
    """Show the triples removed and added between two releases of the data.

    OLD and NEW are data folders (their *.ttl files; the version from their dataset.toml)
    or dumps (.ttl, .nt, .nq, .trig, .jsonld, .rdf). Blank nodes are compared by their
    place in the graph and written as the skolem IRIs export and publish use.  Exit 0:
    the same triples; 1: they differ.

    \b
    Examples:
      kzgraph diff old-release/data data
      kzgraph diff kzgraph-1.0.0.nt kzgraph-1.1.0.nt -f sparql > patch.ru
      curl --data-binary @patch.ru -H 'Content-Type: application/sparql-update' http://127.0.0.1:7878/update
    """
    import re

    from kzgraph.diff import diff_sides, diff_text, diff_update, read_side, triples
    from kzgraph.terms import valid_iri

    if graph is not None and not (valid_iri(graph) and re.match(r"^[A-Za-z][\w+.-]*:", graph)):
        raise click.UsageError(f"--graph needs an absolute IRI, got {graph!r}")
    changes = diff_sides(read_side(old), read_side(new))
    click.echo(diff_text(changes) if fmt == "text" else diff_update(changes, graph), nl=False)
    err(f"kzgraph: {triples(changes.removed)} removed, {changes.added} added")
    if changes.changes:
        version = changes.new.version
        if version is not None and version == changes.old.version:
            err(
                f"kzgraph: warning: the data changed but both say version {version}: add a "
                f"[[release]] to {display_path(new / 'dataset.toml')}"
            )
        raise SystemExit(1)


# --------------------------------------------------------------------------- docs


@cli.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write index.html, ontology.html, queries.html and the guides into.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace the folder even if it holds something other than earlier kzgraph docs.",
)
@_BASE
@click.pass_context
def docs(ctx: click.Context, output: Path, force: bool, base: str | None) -> None:
    """Write HTML documentation: the ontology, every saved question with an example result,
    and the guides.

    Self-contained pages (no CDN, no script); the folder is replaced atomically.  A
    non-empty folder that is not an earlier 'kzgraph docs' output is refused unless --force.
    With --base (or KZGRAPH_BASE, or data/dataset.toml's resources) the questions' SPARQL
    and example results show the resource IRIs where export --base puts them.

    \b
    Examples:
      kzgraph docs -o site/
      kzgraph docs -o public/ --force
      kzgraph docs -o site/ --base https://data.example.org/kz/
    """
    from rdflib import Graph

    from kzgraph.docs import build_pages, check_target, guides_folder, write_docs
    from kzgraph.load import load_graph
    from kzgraph.query import load_catalog, load_checks, open_engine

    check_target(output, force=force)  # before building anything
    project = project_of(ctx)
    base = _resource_base(project, base)
    entry = _entry(project)
    ontology: Graph = load_graph(project.ontology_files()).graph
    pages = build_pages(
        ontology,
        open_engine(entry),
        list(load_catalog(project.queries_dir).values()),
        load_checks(project.queries_dir),
        entry.meta["counts"],
        guides_folder(),
        base,
    )
    write_docs(pages, output, force=force)
    size = sum(len(c if isinstance(c, bytes) else c.encode()) for c in pages.values())
    n_pages = sum(1 for name in pages if name.endswith(".html"))
    pictures = len(pages) - n_pages
    err(
        f"kzgraph: wrote {n_pages} pages and {pictures} pictures to {display_path(output)} "
        f"({size} bytes)"
    )


# --------------------------------------------------------------------------- describe


@cli.command()
@click.argument("term")
@click.option(
    "--engine", type=click.Choice(["oxigraph", "rdflib"]), default="oxigraph", show_default=True
)
@click.pass_context
def describe(ctx: click.Context, term: str, engine: str) -> None:
    """Show everything about one resource, each fact with its [P#] sources.

    TERM is a full IRI, a prefixed name (person:nursultan-nazarbayev) or a name as people
    type it: any label or spelling, in any script, with or without diacritics, a surname
    alone or after initials ("S. Demirel"), or close to one (Nazarbaev).

    \b
    Examples:
      kzgraph describe person:nursultan-nazarbayev
      kzgraph describe "Turgut Özal"
      kzgraph describe Erdogan
      kzgraph describe https://w3id.org/kzgraph/resource/state/turkey
    """
    from kzgraph.describe import describe as describe_resource
    from kzgraph.engine import LinesEngine
    from kzgraph.query import open_engine
    from kzgraph.render import render_description

    entry = _entry(project_of(ctx))
    store = open_engine(entry, engine)
    iri = _resolve_term(store, term)
    # the data as written, read only where the description looks (LinesEngine)
    asserted = (
        LinesEngine(entry.asserted_path)
        if engine == "oxigraph"
        else open_engine(entry, engine, asserted_only=True)
    )
    click.echo(render_description(describe_resource(store, iri, asserted)), nl=False)


# --------------------------------------------------------------------------- search


@cli.command()
@click.argument("words", nargs=-1, required=True, metavar="TEXT...")
@click.option(
    "--kind",
    metavar="KIND",
    help="Only resources of this kind, subclasses included: person, event, document, "
    "institution, place, state, office, tenure, work, paragraph, figure, conflict, diaspora, "
    "people, signature, or any class name (visit, summit, city...).",
)
@click.option(
    "--lang",
    metavar="TAG",
    help="Only text in this language (en, tr, ru, kk; kk also takes kk-Cyrl).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="At most this many resources.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table and csv mark the match «…»; json gives the snippet and the match offsets.",
)
@_width_options
@click.pass_context
def search(
    ctx: click.Context, words: tuple[str, ...], kind: str | None, lang: str | None, limit: int,
    fmt: str,
) -> None:  # fmt: skip
    """Find resources by anything the graph says about them, best first.

    Every word must occur in one text of the resource (a label, a title, a description, a
    role, a note...); "a phrase" in that order; word* is a prefix; a OR b takes either;
    NOT word (or -word after --) leaves out resources that have the word.  Case, accents,
    Cyrillic, Kazakh and Turkish letters and common spelling variants are folded away:
    Назарбаев, nazarbaev and Nazarbayev are one word.  Each resource is shown once, with
    its best text and its [P#] sources.  Exit 0 with hits, 1 when nothing matches, 2 when
    the search cannot run.

    \b
    Examples:
      kzgraph search madrassa
      kzgraph search Назарбаев --kind event
      kzgraph search '"treaty of friendship"'
      kzgraph search 'yass*' --lang en -f json
      kzgraph search visit NOT ozal --limit 5
      kzgraph search erdogan OR gul -f csv
    """
    from kzgraph.render import render_search
    from kzgraph.search import open_index
    from kzgraph.search_syntax import parse_query

    text = " ".join(words)
    parse_query(text)  # a search that cannot run fails before the graph is built
    index = open_index(_entry(project_of(ctx)).path)
    result = index.search(text, kind=kind, lang=lang, limit=limit)
    if result.hits or fmt != "table":
        width = _table_width() if fmt == "table" else None
        click.echo(render_search(result, fmt, width), nl=False)
    ms = f"{result.seconds * 1000:.0f} ms"
    if not result.hits:
        of_kind = f" of kind {kind}" if kind else ""
        in_lang = f" in language {lang}" if lang else ""
        err(f"kzgraph: nothing{of_kind}{in_lang} matches {result.understood} ({ms})")
        ctx.exit(1)
    shown = len(result.hits)
    more = f" (the best {shown}; --limit to see more)" if shown < result.total else ""
    err(f"kzgraph: {result.total} resources match{more} ({ms})")


# --------------------------------------------------------------------------- ask


@cli.command()
@click.argument("words", nargs=-1, required=True, metavar="QUESTION...")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(TABLE_FORMATS + GRAPH_FORMATS),
    default="table",
    show_default=True,
    help="Output format of the answer, as for 'kzgraph query'.",
)
@click.option(
    "--engine",
    type=click.Choice(["oxigraph", "rdflib"]),
    default="oxigraph",
    show_default=True,
    help="SPARQL engine; rdflib is the slower reference.",
)
@_ENDPOINT
@_TIMEOUT
@_width_options
@click.pass_context
def ask(
    ctx: click.Context,
    words: tuple[str, ...],
    fmt: str,
    engine: str,
    endpoint: str | None,
    timeout: float,
) -> None:
    """Ask in plain words: the saved query that fits, with its parameters, answers.

    The question is matched against the saved queries' examples, titles and descriptions;
    names, dates, kinds ("treaties") and languages in it become the query's parameters.
    stderr says which query was chosen, with which values, and the 'kzgraph query' command
    that gives the same answer (close readings are listed after it); stdout has the answer
    as 'query' prints it, and stderr the [P#] paragraphs it rests on.  When no saved query
    fits, a full-text search on the question's words answers instead.  Exit 0 with an
    answer, 1 when nothing fits and the search finds nothing, 2 when the question cannot
    be read (empty, over 1,000 characters, no words).

    \b
    Examples:
      kzgraph ask "Which treaties were signed?"
      kzgraph ask who was president of Turkey in October 1994
      kzgraph ask "documents Demirel signed" -f csv
      kzgraph ask "visits in 1992" --endpoint http://127.0.0.1:7878
    """
    from kzgraph.question import clean_question

    question = clean_question(" ".join(words))  # an unreadable question fails first
    project = project_of(ctx)
    store, where = _query_engine(ctx, endpoint, engine, False, timeout)
    answer = _ask_model(project, store, endpoint).ask(question)
    same = _same_command(ctx, fmt, engine, endpoint)
    if answer.best is None:
        _ask_fallback(ctx, project, store, answer.fallback or "", endpoint, fmt)
        return
    best = answer.best
    err(f'kzgraph: asked as {best.query} ("{best.title}")')
    for param, typed, shown in best.because:
        read = f' (from "{typed}")' if fold_text(typed) != fold_text(shown) else ""
        err(f"kzgraph:   {param} = {shown}{read}")
    err(f"kzgraph: same as: {same(best.command)}")
    if answer.alternatives:
        err("kzgraph: close readings:")
        for other in answer.alternatives:
            err(f"kzgraph:   {same(other.command)}")
    _ask_run(project, store, where, best.query, best.params, fmt)


def fold_text(text: str) -> str:
    from kzgraph.spelling import fold

    return fold(text)


def _ask_model(project: Project, store: Engine, endpoint: str | None) -> Any:
    """The scorer of the project's catalog: kept in the cache entry for the local graph, built
    from the endpoint's names for --endpoint."""
    from kzgraph.ask import build_model, load_model
    from kzgraph.query import load_catalog
    from kzgraph.question import graph_terms
    from kzgraph.resolve import NameIndex

    def build() -> Any:
        catalog = load_catalog(project.queries_dir)
        return build_model(catalog, NameIndex.from_engine(store), graph_terms(store))

    if endpoint is not None:
        return build()
    return load_model(_entry(project).path, project.queries_dir, build)


def _same_command(
    ctx: click.Context, fmt: str, engine: str, endpoint: str | None
) -> Callable[[str], str]:
    """A 'kzgraph query' command with the options that make it give the same answer (the
    global --data/--ontology/--queries given, -f, --engine, --endpoint)."""
    import shlex

    root = ctx.find_root().params
    front = []
    for name in ("data_dir", "ontology_dir", "queries_dir"):
        if root.get(name) is not None:
            front += ["--" + name.split("_")[0], str(root[name])]
    back = []
    if fmt != "table":
        back += ["-f", fmt]
    if engine != "oxigraph":
        back += ["--engine", engine]
    if endpoint is not None:
        back += ["--endpoint", endpoint]

    def same(command: str) -> str:
        head, rest = command.split(" ", 1)  # "kzgraph", "query NAME -p ..."
        return " ".join([head, *(shlex.quote(p) for p in front), rest, *map(shlex.quote, back)])

    return same


def _ask_run(
    project: Project,
    store: Engine,
    where: str,
    name: str,
    params: Iterable[tuple[str, str]],
    fmt: str,
) -> None:
    """Run the chosen saved query as 'kzgraph query' would, then say its sources."""
    from kzgraph.ask import answer_sources
    from kzgraph.query import bind, bind_params, parse_saved_query
    from kzgraph.render import iris_in

    saved = parse_saved_query(project.queries_dir / f"{name}.rq")  # the one chosen
    bound = bind_params(saved, params, store)
    result = store.run(bind(saved.text, bound.values), origin=_saved_origin(saved))
    _print_result(result, fmt, store)
    if result.kind == "select":
        err(f"kzgraph: {_rows_text(len(result.rows))} ({result.seconds * 1000:.0f} ms, {where})")
        sources = answer_sources(store, iris_in(result))
        if sources:
            shown = " ".join(f"[{s}]" for s in sources[:30])
            more = f" and {len(sources) - 30} more" if len(sources) > 30 else ""
            err(f"kzgraph: sources: {shown}{more}")


def _ask_search_endpoint(
    ctx: click.Context, project: Project, store: Engine, text: str, endpoint: str, fmt: str
) -> None:
    """The saved query 'search' on an endpoint, for the question's longest words in turn (it
    takes one piece of a name) until one finds something; exit 1 if none does."""
    import shlex

    from kzgraph.query import bind, bind_params, parse_saved_query

    path = project.queries_dir / "search.rq"
    if not path.is_file():
        err("kzgraph: no saved query 'search' to look the words up with on the endpoint")
        ctx.exit(1)
    saved = parse_saved_query(path)
    for word in sorted(set(text.split()), key=lambda w: (-len(w), w))[:5]:
        values = bind_params(saved, [("text", word)], store).values
        result = store.run(bind(saved.text, values), origin=_saved_origin(saved))
        if result.rows:
            command = f"kzgraph query search -p text {shlex.quote(word)} --endpoint {endpoint}"
            err(f"kzgraph: same as: {command}")
            _print_result(result, fmt, store)
            err(f"kzgraph: {_rows_text(len(result.rows))} ({endpoint})")
            return
    err(f"kzgraph: no name on the endpoint holds any of: {text}")
    ctx.exit(1)


def _ask_fallback(
    ctx: click.Context, project: Project, store: Engine, text: str, endpoint: str | None, fmt: str
) -> None:
    """No saved query fits: a full-text search on the question's content words."""
    if not text:
        err("kzgraph: no saved question fits, and the question has no words to search for")
        ctx.exit(1)
    err(f"kzgraph: no saved question fits; searching the text for: {text}")
    if endpoint is not None:  # no full-text index there: the saved query 'search'
        _ask_search_endpoint(ctx, project, store, text, endpoint, fmt)
        return
    from kzgraph.render import render_search
    from kzgraph.search import open_index

    words = " OR ".join(text.split())
    result = open_index(_entry(project).path).search(words, limit=20)
    ms = f"{result.seconds * 1000:.0f} ms"
    if not result.hits:
        err(f"kzgraph: nothing matches {result.understood} ({ms})")
        ctx.exit(1)
    search_fmt = fmt if fmt in ("table", "csv", "json") else "table"
    width = _table_width() if search_fmt == "table" else None
    click.echo(render_search(result, search_fmt, width), nl=False)
    err(f"kzgraph: {result.total} resources match ({ms}); same as: kzgraph search {words}")


# --------------------------------------------------------------------------- stats


@cli.command()
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@_width_options
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """Count triples (asserted, inferred), instances per class and properties used.

    \b
    Examples:
      kzgraph stats
      kzgraph stats -f json
    """
    import json

    from kzgraph.query import open_engine
    from kzgraph.render import to_table

    entry = _entry(project_of(ctx))
    store = open_engine(entry)
    classes = store.run(
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } "
        "GROUP BY ?class ORDER BY DESC(?n) ?class"
    )
    props = store.run(
        "SELECT ?property (COUNT(*) AS ?n) WHERE { ?s ?property ?o } "
        "GROUP BY ?property ORDER BY DESC(?n) ?property"
    )
    labels = store.labels([r[0].value for r in classes.rows + props.rows if r[0] is not None])
    counts = entry.meta["counts"]
    if fmt == "json":
        doc = {
            "triples": {"asserted": counts["asserted"], "inferred": counts["inferred"]},
            "classes": {r[0].value: int(r[1].value) for r in classes.rows},  # type: ignore[union-attr]
            "properties": {r[0].value: int(r[1].value) for r in props.rows},  # type: ignore[union-attr]
        }
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(
        f"triples: {counts['asserted']} asserted, {counts['inferred']} inferred, "
        f"{counts['asserted'] + counts['inferred']} in all\n"
    )
    rows = [[labels[r[0].value], r[0].value, r[1].value] for r in classes.rows]  # type: ignore[union-attr]
    click.echo("Instances per class")
    click.echo(to_table(["class", "iri", "instances"], rows, _table_width()))
    rows = [[labels[r[0].value], r[0].value, r[1].value] for r in props.rows]  # type: ignore[union-attr]
    click.echo("Properties used")
    click.echo(to_table(["property", "iri", "triples"], rows, _table_width()), nl=False)


# --------------------------------------------------------------------------- serve


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a query may run before it is stopped (503); also the time a request body "
    "has to arrive (408).",
)
@click.option(
    "--max-results",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows or triples per answer; longer results are cut (X-Result-Truncated).",
)
@click.option(
    "--max-body",
    default=1_048_576,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest request body in bytes (413 beyond).",
)
@click.option("--asserted", is_flag=True, help="Serve asserted triples only (no inferences).")
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(min=1),
    help="HTTP worker processes.",
)  # fmt: skip
@click.option(
    "--query-workers", default=2, show_default=True, type=click.IntRange(min=1),
    help="Query processes per HTTP worker (queries running at once).",
)  # fmt: skip
@click.option(
    "--cache-size", default=1024, show_default=True, type=click.IntRange(min=0),
    help="Responses kept per HTTP worker (LRU; 0 turns the cache off).",
)  # fmt: skip
@click.option(
    "--access-log", metavar="FILE|-", default=None,
    help="Append one Combined Log Format line per request to FILE ('-': stdout).",
)  # fmt: skip
@click.option(
    "--root-path", metavar="PATH", default="",
    help="The sub-path a reverse proxy serves this under and strips (e.g. /kz): every link "
    "and URL the server writes starts with it.",
)  # fmt: skip
@_BASE
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    timeout: float,
    max_results: int,
    max_body: int,
    asserted: bool,
    workers: int,
    query_workers: int,
    cache_size: int,
    access_log: str | None,
    root_path: str,
    base: str | None,
) -> None:
    """Serve a read-only SPARQL endpoint and linked-data pages over HTTP.

    With --base (or KZGRAPH_BASE, or data/dataset.toml's resources) the served graph's
    resource IRIs are those export --base writes, and each answers at its own path less
    --root-path (https://data.example.org/kz/person/... at /kz/person/..., or at
    /person/... with --root-path /kz); saved queries and undeclared prefixes follow.

    \b
    Examples:
      kzgraph serve
      kzgraph serve --port 8080 --timeout 5 --max-results 5000
      kzgraph serve --access-log access.log
      kzgraph serve --root-path /kz
      kzgraph serve --base https://data.example.org/kz/ --root-path /kz
      curl -H 'Accept: text/csv' 'http://127.0.0.1:8000/sparql?query=ASK{?s?p?o}'
    """
    try:
        from kzgraph.serve import access_logger, check_root_path, config_for, listen, run
    except ImportError as error:
        fail(f"kzgraph serve cannot start: {error} (reinstall kzgraph: pip install kzgraph)")
    from kzgraph.metadata import read_metadata

    project = project_of(ctx)
    read_metadata(project.data_dir)  # a bad dataset.toml stops the start, not a later request
    root_path = check_root_path(root_path)
    base = _resource_base(project, base)
    if base is not None and not base.endswith("/"):
        fail(f"kzgraph serve --base must end with '/' to give each resource a path, got {base!r}")
    if access_log:
        for handler in access_logger(access_log).handlers:  # one that cannot be opened
            handler.close()  # stops the start too
    entry = _entry(project)
    config = config_for(
        entry,
        project,
        host=host,
        port=port,
        timeout=timeout,
        max_results=max_results,
        max_body=max_body,
        asserted=asserted,
        workers=workers,
        query_workers=query_workers,
        cache_size=cache_size,
        access_log=access_log or "",
        root_path=root_path,
        resource_base=base or "",
    )
    sockets = listen(config)  # a port that is taken stops here, before "serving"
    bound = sockets[0].getsockname()[1]  # --port 0: the port the system chose
    graph = "asserted" if asserted else "reasoned"
    err(f"kzgraph: serving the {graph} graph on http://{host}:{bound}/ (Ctrl-C stops)")
    run(config, sockets)


# --------------------------------------------------------------------------- plot


@cli.group(context_settings=CONTEXT)
def plot() -> None:
    """Draw the graph: a timeline, a network, the figures over time.

    The pictures are drawn from the saved queries (timeline, network-edges,
    figures-over-time and queries/plots/*.rq).  The format follows the extension of
    -o: .svg, .png or .html (a self-contained page with tooltips and links); without
    -o the SVG goes to stdout.  Output is deterministic: the same graph gives the
    same bytes.

    \b
    Examples:
      kzgraph plot timeline -o timeline.png
      kzgraph plot timeline --from 1991-01-01 --to 1995-12-31 -o early.html
      kzgraph plot network --focus document:friendship-treaty-1994 -o treaty.svg
      kzgraph plot figures > figures.svg
    """


def _write_picture(ctx: click.Context, draw: Any, output: Path | None) -> None:
    """Check the extension first, draw, then write the file (or SVG to stdout)."""
    from kzgraph.plot import format_of, render, write_file

    fmt = format_of(output) if output is not None else "svg"
    if output is not None:
        _check_output(output)
    engine = _engine(project_of(ctx))
    content = render(draw(engine), fmt)
    if output is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    write_file(content, output)
    err(f"kzgraph: wrote {display_path(output)} ({len(content)} bytes)")


_OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write; .svg, .png or .html (default: SVG on stdout).",
)


@plot.command("timeline")
@_OUTPUT
@click.option("--from", "start", metavar="DATE", help="First day, e.g. 1991-01-01.")
@click.option("--to", "end", metavar="DATE", help="Last day, e.g. 2000-12-31.")
@click.pass_context
def plot_timeline(
    ctx: click.Context, output: Path | None, start: str | None, end: str | None
) -> None:
    """Draw every dated event and document on one time axis, in lanes by kind.

    Month- or year-precision dates are drawn as spans, conflicting claims in red
    with dashed links; years before 1991 are squeezed behind an axis break.  An
    empty period is exit code 1 and writes nothing.

    \b
    Examples:
      kzgraph plot timeline -o docs/img/timeline.png
      kzgraph plot timeline --from 1991-01-01 --to 1994-12-31 -o early.svg
    """
    from kzgraph.plot import timeline_figure

    _write_picture(ctx, lambda engine: timeline_figure(engine, start, end), output)


@plot.command("network")
@_OUTPUT
@click.option(
    "--focus", metavar="TERM", help="The centre: an IRI, a prefixed name or a name (as describe)."
)
@click.option(
    "--depth", default=1, show_default=True, type=click.IntRange(1, 6), help="Steps from --focus."
)
@click.pass_context
def plot_network(ctx: click.Context, output: Path | None, focus: str | None, depth: int) -> None:
    """Draw persons, states, documents, institutions, events and places with their relations.

    \b
    Examples:
      kzgraph plot network -o docs/img/network.png
      kzgraph plot network --focus "Süleyman Demirel" --depth 2 -o demirel.html
    """
    from kzgraph.plot import network_figure

    def draw(engine: Engine) -> Any:
        return network_figure(engine, _resolve_term(engine, focus) if focus else None, depth)

    _write_picture(ctx, draw, output)


@plot.command("figures")
@_OUTPUT
@click.pass_context
def plot_figures(ctx: click.Context, output: Path | None) -> None:
    """Draw trade, investment, company counts and diaspora populations over time.

    Targets are hollow stars beside the actual values; lower and upper bounds are
    arrows; each label gives the paragraph [P#] and, for populations, the cited work.

    \b
    Examples:
      kzgraph plot figures -o figures.png
    """
    from kzgraph.plot import figures_figure

    _write_picture(ctx, figures_figure, output)
