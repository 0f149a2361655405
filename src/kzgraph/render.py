"""Turn results into text: tables, SPARQL result formats, RDF, reports.

Pure functions from result dataclasses to ``str`` (or ``bytes`` for RDF).
CSV and TSV follow *SPARQL 1.1 Query Results CSV and TSV Formats*; JSON follows
*SPARQL 1.1 Query Results JSON Format*.  RDF output is deterministic: triples are
sorted before serializing, so the same graph always gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from kzgraph.terms import IRI, XSD_STRING, BNode, Literal, Term, escape_string

if TYPE_CHECKING:
    from kzgraph.describe import Description, Fact, Sources
    from kzgraph.query import QueryResult
    from kzgraph.search import SearchResult
    from kzgraph.validate import ValidationReport, Violation

TABLE_FORMATS = ("table", "csv", "tsv", "json", "markdown")
RDF_FORMATS = ("turtle", "nt", "nq", "trig", "jsonld", "jsonld-expanded", "xml")
GRAPH_ASSERTED = "https://w3id.org/kzgraph/graph/asserted"
GRAPH_INFERRED = "https://w3id.org/kzgraph/graph/inferred"

# --------------------------------------------------------------------------- cells


def _plain(term: Term | None) -> str:
    """The CSV form of a term: IRI text, lexical form, or ``_:label``."""
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term.value}"
    return term.value


def _turtle(term: Term | None) -> str:
    """The TSV form of a term: Turtle / SPARQL syntax (numbers abbreviated)."""
    if term is None:
        return ""
    if isinstance(term, Literal) and term.language is None:
        short = term.datatype.rsplit("#", 1)[-1]
        if term.datatype.startswith("http://www.w3.org/2001/XMLSchema#") and short in (
            "integer",
            "decimal",
            "double",
            "boolean",
        ):
            return _abbreviated(term.value, short) or term.n3()
    return term.n3()


def _abbreviated(value: str, kind: str) -> str | None:
    import re

    patterns = {
        "integer": r"[+-]?\d+",
        "decimal": r"[+-]?\d*\.\d+",
        "double": r"[+-]?(\d+\.\d*|\.?\d+)[eE][+-]?\d+",
        "boolean": r"true|false",
    }
    return value if re.fullmatch(patterns[kind], value) else None


# A date at the article's precision (day, month or year), and a span of two of them
# written as an ISO 8601 interval, as the saved queries give a start and an end day.
_DATE = r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
_SPAN = re.compile(f"{_DATE}/{_DATE}")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_part(year: str, month: str | None, day: str | None) -> str:
    if month is None or not 1 <= int(month) <= 12:
        return year
    name = _MONTH_NAMES[int(month) - 1]
    return f"{int(day)} {name} {year}" if day is not None else f"{name} {year}"


def span_text(value: str) -> str | None:
    """A span ``1994-10-16/1994-10-18`` for people: ``16–18 Oct 1994``; ``1940/1950``:
    ``1940–1950``; ``1994-09-30/1994-10-02``: ``30 Sep – 2 Oct 1994``.  None when
    ``value`` is not a span of two dates (CSV and JSON keep the ISO form)."""
    m = _SPAN.fullmatch(value)
    if m is None:
        return None
    y1, m1, d1, y2, m2, d2 = m.groups()
    if (m1 is None) != (m2 is None) or (d1 is None) != (d2 is None):  # mixed precision
        return f"{_date_part(y1, m1, d1)} – {_date_part(y2, m2, d2)}"
    if m1 is None:
        return f"{y1}–{y2}"
    if y1 != y2:
        return f"{_date_part(y1, m1, d1)} – {_date_part(y2, m2, d2)}"
    if d1 is None:
        return f"{_date_part(y1, m1, None).split()[0]}–{_date_part(y2, m2, None)}"
    if m1 == m2:
        return f"{int(d1)}–{_date_part(y2, m2, d2)}"
    return f"{' '.join(_date_part(y1, m1, d1).split()[:2])} – {_date_part(y2, m2, d2)}"


def _display(term: Term | None, labels: Mapping[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, IRI):
        return labels.get(term.value, term.value)
    if isinstance(term, BNode):
        return f"_:{term.value}"
    if term.language is None and term.datatype == XSD_STRING:
        return span_text(term.value) or term.value
    return term.value


def iris_in(result: QueryResult) -> set[str]:
    """IRIs appearing in a SELECT result (to look their labels up)."""
    return {t.value for row in result.rows for t in row if isinstance(t, IRI)}


# --------------------------------------------------------------------------- SELECT / ASK


def render_result(
    result: QueryResult,
    fmt: str,
    labels: Mapping[str, str] | None = None,
    *,
    fold_labels: bool = True,
    width: int | None = None,
) -> str:
    """Render a SELECT or ASK result in one of ``TABLE_FORMATS``.

    ``fold_labels`` (saved queries): a table shows ``?x`` by its ``?xLabel`` in one column.
    Without it (ad-hoc SPARQL) every selected column is shown, see :func:`_labelled_cells`.
    ``width``: a table's lines fit in it (:func:`to_table`); the other formats carry
    every cell in full.
    """
    labels = labels or {}
    if result.kind == "ask":
        return _render_ask(bool(result.boolean), fmt)
    if fmt == "csv":
        return to_csv(result)
    if fmt == "tsv":
        return to_tsv(result)
    if fmt == "json":
        return to_json(result)
    header, cells = _labelled_cells(result, labels, fold=fold_labels)
    if fmt == "markdown":
        return to_markdown(header, cells)
    return to_table(header, cells, width)


def _labelled_cells(
    result: QueryResult, labels: Mapping[str, str], *, fold: bool = True
) -> tuple[list[str], list[list[str]]]:
    """Cells for people: IRIs shown by label, and a ``?xLabel`` column folded into ``?x``.

    Saved queries select ``?x ?xLabel`` so that CSV/JSON users get both the IRI and the
    label in the requested language; a table already shows ``?x`` by its label, so the
    two columns would repeat each other.  The query's own label wins (it honours the
    query's ``lang`` parameter and fallbacks); the store's label is the fallback.

    Without ``fold`` (a query the user wrote) no selected column is dropped: ``?x`` and
    ``?xLabel`` are both shown, ``?x`` as its IRI (prefixed) since its label is beside it.
    """
    variables = list(result.variables)
    if not fold:
        beside = {i for i, v in enumerate(variables) if f"{v}Label" in variables}
        return variables, [
            [
                prefixed_name(term.value)
                if i in beside and isinstance(term, IRI)
                else _display(term, labels)
                for i, term in enumerate(row)
            ]
            for row in result.rows
        ]
    folded = {v: variables.index(f"{v}Label") for v in variables if f"{v}Label" in variables}
    keep = [i for i, v in enumerate(variables) if not (v.endswith("Label") and v[:-5] in folded)]
    cells = []
    for row in result.rows:
        shown = []
        for i in keep:
            label_at = folded.get(variables[i])
            label = row[label_at] if label_at is not None else None
            term = row[i]
            shown.append(
                label.value if label is not None and term is not None else _display(term, labels)
            )
        cells.append(shown)
    return [variables[i] for i in keep], cells


def _render_ask(answer: bool, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": answer}) + "\n"
    if fmt in ("csv", "tsv"):
        return ("true" if answer else "false") + ("\r\n" if fmt == "csv" else "\n")
    return ("yes" if answer else "no") + "\n"


def to_csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_plain(t) for t in row])
    return out.getvalue()


def to_tsv(result: QueryResult) -> str:
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join(_turtle(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, IRI):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language is not None:
        out["xml:lang"] = term.language
    elif term.datatype != XSD_STRING:
        out["datatype"] = term.datatype
    return out


def to_json(result: QueryResult, links: Sequence[str] = ()) -> str:
    """SPARQL 1.1 JSON results; ``links``: the head's ``link`` list (why a result was cut...)."""
    bindings = [
        {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]
    head: dict[str, list[str]] = {"vars": list(result.variables)}
    if links:
        head["link"] = list(links)
    doc = {"head": head, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def to_table(header: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None) -> str:
    """Aligned plain-text columns (no dependency); newlines inside cells become spaces.

    ``width``: the most characters a line may have (a terminal's width); None: no limit.
    When the table is wider, the long columns share what the short ones leave
    (:func:`column_widths`) and their cells are cut with "…"."""
    rows = [[" ".join(c.split("\n")) for c in row] for row in rows]
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    if width is not None:
        widths = column_widths(widths, width)
    line = "  ".join("-" * w for w in widths)
    out = [
        "  ".join(cut(h, w).ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
        line,
    ]
    out += [
        "  ".join(cut(c, w).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(out) + "\n"


#: the narrowest a cut column gets (a few letters and "…"), however narrow the terminal
MIN_COLUMN = 6
GAP = 2  # spaces between columns


def column_widths(natural: Sequence[int], width: int) -> list[int]:
    """Column widths that fit ``width`` characters with the gaps between them: columns
    narrower than a fair share keep their natural width, and the rest share what is
    left equally (the widest take the remainder).  No column is cut below
    ``MIN_COLUMN``, so a very narrow terminal still gets a wider table than it asked."""
    room = width - GAP * (len(natural) - 1)
    if sum(natural) <= room:
        return list(natural)
    result = list(natural)
    left = sorted(range(len(natural)), key=lambda i: natural[i])
    while left:
        share = room // len(left)
        if natural[left[0]] <= share:  # a short column: whole
            room -= natural[left[0]]
            left.pop(0)
            continue
        extra = room - share * len(left)
        for rank, i in enumerate(left):  # the long columns share the rest
            bonus = 1 if rank >= len(left) - extra else 0
            result[i] = max(min(natural[i], MIN_COLUMN), share + bonus)
        break
    return result


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters: cut, with "…" as its last character."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)].rstrip() + "…"


def to_markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    out = ["| " + " | ".join(cell(h) for h in header) + " |"]
    out.append("|" + "|".join("---" for _ in header) + "|")
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- RDF


def _nt_line(triple: tuple[Term, Term, Term]) -> str:
    return " ".join(t.n3() for t in triple) + " ."


def sorted_triples(triples: Iterable[tuple[Term, Term, Term]]) -> list[tuple[Term, Term, Term]]:
    """Distinct triples in N-Triples line order (the deterministic order of all output)."""
    return sorted(set(triples), key=_nt_line)


def render_rdf(
    graphs: Mapping[str | None, Iterable[tuple[Term, Term, Term]]],
    fmt: str,
    prefixes: Mapping[str, str] | None = None,
) -> bytes:
    """Serialize triples deterministically, every literal as given (lexical form and
    language-tag case: :mod:`kzgraph.serialization`).

    ``graphs`` maps a graph name (None = default graph) to its triples; formats
    without named graphs (turtle, nt, jsonld, jsonld-expanded, xml) merge them.
    ``jsonld`` is compact, with a ``@context`` of ``prefixes``; ``jsonld-expanded``
    has full IRIs and no context.
    """
    from kzgraph import serialization as syntax

    if fmt == "nt":
        merged = sorted_triples(t for ts in graphs.values() for t in ts)
        return "".join(_nt_line(t) + "\n" for t in merged).encode("utf-8")
    prefixes = dict(prefixes or {})
    if fmt in ("nq", "trig"):
        named = [
            (name, sorted_triples(graphs[name])) for name in sorted(graphs, key=lambda n: n or "")
        ]
        text = syntax.nquads(named) if fmt == "nq" else syntax.trig(named, prefixes)
        return text.encode("utf-8")
    merged = sorted_triples(t for ts in graphs.values() for t in ts)
    if fmt == "turtle":
        text = syntax.turtle(merged, prefixes)
    elif fmt in ("jsonld", "jsonld-expanded"):
        text = syntax.jsonld(merged, prefixes, compact=fmt == "jsonld")
    elif fmt == "xml":
        text = syntax.rdfxml(merged, prefixes)
    else:
        raise ValueError(f"unknown RDF format {fmt!r}")
    return text.encode("utf-8")


# --------------------------------------------------------------------------- reports


def render_validation(report: ValidationReport, fmt: str) -> str:
    if fmt == "json":
        from dataclasses import asdict

        doc = {
            "conforms": report.conforms,
            "counts": dict(report.severity_counts),
            "results": [asdict(v) for v in report.results],
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if not report.results:
        return ""
    out: list[str] = []
    for v in report.results:
        _violation_lines(v, 0, out)
    return "\n".join(out) + "\n"


def _violation_lines(v: Violation, depth: int, out: list[str]) -> None:
    """One line per result; its ``sh:detail`` results indented under it, each naming
    its constraint component (the details of one shape often share its message)."""
    path = f" {v.path}:" if v.path else ""
    if depth == 0:
        value = f" (value: {v.value})" if v.value else ""
        out.append(
            f"{v.file or '(unknown file)'}: {v.severity.lower()}: {_focus_text(v)}{path} "
            f"{v.message}{value} [shape {v.source_shape}]"
        )
    else:
        value = f" (value: {v.value})" if v.value and v.value != v.focus else ""
        out.append(
            f"{'    ' * depth}detail: {_focus_text(v)}{path} {v.message}{value} "
            f"[shape {v.source_shape}, {v.component}]"
        )
    for detail in v.details:
        _violation_lines(detail, depth + 1, out)


def _focus_text(v: Violation) -> str:
    """``label <IRI>`` for a node, the literal itself (``"9"``) for a literal focus."""
    if v.focus.startswith('"'):
        return v.focus
    return f"{v.focus_label} <{v.focus}>"


def validation_turtle(report: ValidationReport) -> str:
    """A small SHACL-style report in Turtle (sh:ValidationReport / sh:ValidationResult)."""
    lines = [
        "@prefix sh: <http://www.w3.org/ns/shacl#> .",
        "",
        "[] a sh:ValidationReport ;",
        f"    sh:conforms {'true' if report.conforms else 'false'}"
        + (" ;" if report.results else " ."),
    ]
    for i, v in enumerate(report.results):
        end = " ." if i == len(report.results) - 1 else " ;"
        lines.append(f"    sh:result {_result_turtle(v)}{end}")
    return "\n".join(lines) + "\n"


def _result_turtle(v: Violation) -> str:
    focus = v.focus if v.focus.startswith(('"', "_:")) else f"<{v.focus}>"
    details = "".join(f" sh:detail {_result_turtle(d)} ;" for d in v.details)
    return (
        f"[ a sh:ValidationResult ; sh:focusNode {focus} ;{details} "
        f'sh:resultSeverity sh:{v.severity} ; sh:resultMessage "{escape_string(v.message)}" ]'
    )


def format_sources(sources: Sources) -> str:
    """One statement's sources as shown: ``[P14] [P15] · Asylbekov et al. (2010)``, or
    ``editorial: external identifier``; empty when there are none."""
    parts = []
    if sources.locators:
        parts.append(" ".join(f"[{loc}]" for loc in sources.locators))
    if sources.citations:
        parts.append("; ".join(sources.citations))
    if sources.editorial:
        parts.append("editorial: " + ", ".join(sources.editorial))
    return " · ".join(parts)


def _sources_text(fact: Fact) -> str:
    text = format_sources(fact.sources)
    return f"  {text}" if text else ""


def render_description(desc: Description) -> str:
    out = [f"{desc.label}  <{desc.iri}>"]
    if desc.types:
        out.append(f"  type: {', '.join(desc.types)}")
    own = format_sources(desc.sources)
    if own:
        out.append(f"  sources: {own}")
    if desc.names:
        named = format_sources(desc.names_sources)
        out.append(f"  names: {'; '.join(desc.names)}" + (f"  ({named})" if named else ""))

    def group(facts: Sequence[Fact], arrow: str) -> None:
        current = None
        for fact in facts:
            if fact.property_label != current:
                current = fact.property_label
                out.append("")
                out.append(f"{arrow}{current}")
            # facts stated on the entity node share the sources shown at the top
            same = fact.sources == desc.sources and not arrow
            out.append(f"  {fact.value_label}{'' if same else _sources_text(fact)}")
            if fact.details:
                out.append("      " + "; ".join(f"{p}: {v}" for p, v in fact.details))

    if desc.facts and own:
        out.append("")
        out.append("(facts without their own [P#] are stated in the sources above)")
    group(desc.facts, "")
    if desc.incoming:
        out.append("")
        out.append("Incoming links")
        group(desc.incoming, "← ")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- search

SEARCH_FORMATS = ("table", "csv", "json")


def prefixed_name(iri: str) -> str:
    """``person:turgut-ozal``, ``kz:Visit``, ``rdfs:label``: an IRI by the project's prefixes
    (the longest namespace that fits), else the IRI itself."""
    from kzgraph.namespaces import PREFIXES

    best = ""
    for prefix, namespace in PREFIXES.items():
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            if re.fullmatch(r"[A-Za-z_][\w.-]*", local) and not local.endswith("."):
                best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


def prefixed(iri: str) -> str:
    """``person:turgut-ozal`` for a resource IRI (the data files' prefixes), else the IRI."""
    from kzgraph.namespaces import KINDS, RESOURCE_BASE

    if iri.startswith(RESOURCE_BASE):
        kind, _, slug = iri[len(RESOURCE_BASE) :].partition("/")
        if kind in KINDS and slug and "/" not in slug:
            return f"{kind}:{slug}"
    return iri


def search_document(result: SearchResult) -> dict[str, object]:
    """The JSON form of a search (``kzgraph search -f json`` and ``/search?format=json``):
    each hit's snippet unmarked, with the matched stretches as ``[start, end)`` offsets."""
    return {
        "query": result.query,
        "understood": result.understood,
        "total": result.total,
        "hits": [
            {
                "resource": h.iri,
                "label": h.label,
                "kind": h.kind,
                "kindLabel": h.kind_label,
                "property": h.property,
                "propertyLabel": h.property_label,
                "language": h.language,
                "snippet": h.snippet.text,
                "matches": [list(span) for span in h.snippet.spans],
                "sources": list(h.locators),
                "score": h.score,
                "literals": h.literals,
            }
            for h in result.hits
        ],
    }


def render_search(result: SearchResult, fmt: str, width: int | None = None) -> str:
    """A search as a table (matches marked «…», its lines fit in ``width`` when given),
    CSV (marked snippet, full IRIs) or JSON."""
    if fmt == "json":
        return json.dumps(search_document(result), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(
            ["resource", "label", "kind", "kindLabel", "property", "propertyLabel", "language",
             "snippet", "sources", "score"]
        )  # fmt: skip
        for h in result.hits:
            writer.writerow(
                [h.iri, h.label, h.kind, h.kind_label, h.property, h.property_label,
                 h.language or "", h.snippet.marked(), " ".join(h.locators), h.score]
            )  # fmt: skip
        return out.getvalue()
    rows = [
        [
            prefixed(h.iri),
            h.kind_label,
            h.property_label + (f"@{h.language}" if h.language else ""),
            h.snippet.marked(),
            " ".join(f"[{loc}]" for loc in h.locators[:6])
            + (f" +{len(h.locators) - 6}" if len(h.locators) > 6 else ""),
        ]
        for h in result.hits
    ]
    return to_table(["resource", "kind", "in", "text", "sources"], rows, width)
