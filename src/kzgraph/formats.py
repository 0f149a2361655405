"""Media types and content negotiation for query results and RDF (used by ``kzgraph serve``).

A *format* is a short name (``json``, ``turtle``...) with one media type.  SELECT and
ASK results come as SPARQL JSON, XML, CSV or TSV; graphs (CONSTRUCT, DESCRIBE, resource
descriptions) as Turtle, JSON-LD, N-Triples or RDF/XML; both also as ``html`` where
the caller can render a page.  :func:`negotiate` picks one from an ``Accept`` header
or a ``format`` parameter (RFC 9110 q-values; ties go to the server's order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from kzgraph.errors import NotAcceptableError
from kzgraph.terms import IRI, BNode, Term

#: format -> (media type sent, extra media types it answers)
MEDIA: dict[str, tuple[str, tuple[str, ...]]] = {
    "json": ("application/sparql-results+json", ("application/json",)),
    "xml": ("application/sparql-results+xml", ("application/xml", "text/xml")),
    "csv": ("text/csv", ()),
    "tsv": ("text/tab-separated-values", ()),
    "turtle": ("text/turtle", ("application/x-turtle", "application/turtle")),
    "jsonld": ("application/ld+json", ("application/json",)),
    "nt": ("application/n-triples", ("text/plain",)),
    "xmlrdf": ("application/rdf+xml", ("application/xml", "text/xml")),
    "html": ("text/html", ("application/xhtml+xml",)),
}

#: server preference order (the first is the default for ``*/*`` or no Accept)
RESULT_FORMATS = ("json", "xml", "csv", "tsv", "html")
GRAPH_FORMATS = ("turtle", "jsonld", "nt", "xmlrdf", "html")

#: ``format=`` values clients may give, per kind of answer
_ALIASES = {
    "results": {
        "json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv",
        "tsv": "tsv", "html": "html",
    },
    "graph": {
        "turtle": "turtle", "ttl": "turtle", "jsonld": "jsonld", "json-ld": "jsonld",
        "json": "jsonld", "nt": "nt", "ntriples": "nt", "n-triples": "nt",
        "rdfxml": "xmlrdf", "rdf": "xmlrdf", "xml": "xmlrdf", "rdf+xml": "xmlrdf",
        "xmlrdf": "xmlrdf", "rdf/xml": "xmlrdf",
        # Turtle is N3 too (SPARQLWrapper's N3 asks for format=n3)
        "n3": "turtle", "html": "html",
    },
}  # fmt: skip

#: render.render_rdf's names for the graph formats
RDF_NAMES = {"turtle": "turtle", "jsonld": "jsonld", "nt": "nt", "xmlrdf": "xml"}


def content_type(fmt: str) -> str:
    """The Content-Type header value for ``fmt`` (text types carry ``charset=utf-8``)."""
    media = MEDIA[fmt][0]
    if media.startswith("text/") or media.endswith("+json") or media == "application/n-triples":
        return f"{media}; charset=utf-8"
    return media


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media: str) -> int:
        """Specificity of the match (3 exact, 2 type/*, 1 */*), 0 when it does not match."""
        kind, _, sub = media.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type == kind and self.subtype == "*":
            return 2
        return 3 if (self.type, self.subtype) == (kind, sub) else 0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed parts are skipped."""
    ranges = []
    for order, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        kind, _, sub = media.partition("/")
        if not kind or not sub:
            continue
        q = 1.0
        for f in fields[1:]:
            name, _, value = f.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q, order))
    return ranges


def _quality(ranges: Sequence[MediaRange], fmt: str) -> tuple[float, int]:
    """(q, specificity) of the best range matching any media type of ``fmt``."""
    best = (-1.0, 0)
    main, extra = MEDIA[fmt]
    for media in (main, *extra):
        for r in ranges:
            spec = r.matches(media)
            if media != main and spec < 3:
                continue  # aliases (application/json for JSON-LD...) only match exactly
            if spec:
                # the most specific range decides (RFC 9110 12.5.1)
                if spec > best[1] or (spec == best[1] and r.q > best[0]):
                    best = (r.q, spec)
    return best


def negotiate(
    available: Sequence[str],
    accept: str | None,
    format_param: str | Sequence[str] | None = None,
    kind: str = "",
    *,
    fallback: bool = False,
) -> str:
    """The format to answer with.

    ``format_param`` (a short name or a media type, or several: the first one known
    wins) goes before ``accept``.  When none is known, :class:`NotAcceptableError` with
    ``unknown_format`` is raised, or with ``fallback`` the ``Accept`` header decides (as
    on a SPARQL endpoint, where clients send ``format=``/``output=`` values of their own:
    SPARQLWrapper's ``n3``, a list of media types...).  Without either, the first of
    ``available`` is used.  Raises :class:`NotAcceptableError` when no available format
    is acceptable.
    """
    given = [format_param] if isinstance(format_param, str) else list(format_param or ())
    given = [g for g in given if g]
    if given:
        aliases = _ALIASES["graph" if "turtle" in available else "results"]
        for value in given:
            for wanted in (w.strip().lower() for w in value.split(",")):
                wanted = wanted.split(";")[0].strip()  # a media type's parameters
                if wanted in aliases and aliases[wanted] in available:
                    return aliases[wanted]
                for fmt in available:
                    if wanted == MEDIA[fmt][0] or wanted in MEDIA[fmt][1]:
                        return fmt
        if not fallback:
            names = ", ".join(sorted({k for k, v in aliases.items() if v in available}))
            what = f" for {kind}" if kind else ""
            raise NotAcceptableError(
                f"unknown format {given[0]!r}{what}; use one of: {names}", unknown_format=True
            )
    ranges = parse_accept(accept)
    if not ranges:
        return available[0]
    scored = []
    for position, fmt in enumerate(available):
        q, spec = _quality(ranges, fmt)
        if q > 0:
            scored.append((-q, -spec, position, fmt))
    if not scored:
        offered = ", ".join(MEDIA[f][0] for f in available)
        raise NotAcceptableError(f"cannot produce {accept!r}; available: {offered}")
    # highest q first; among equal q, an exact match beats a wildcard, then server order
    scored.sort()
    return scored[0][3]


# --------------------------------------------------------------------------- SPARQL XML


def _xml_term(term: Term) -> str:
    if isinstance(term, IRI):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language is not None:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype != "http://www.w3.org/2001/XMLSchema#string":
        return f"<literal datatype={quoteattr(term.datatype)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def results_xml(
    variables: Sequence[str],
    rows: Sequence[Sequence[Term | None]],
    boolean: bool | None = None,
    links: Sequence[str] = (),
) -> str:
    """*SPARQL Query Results XML Format* (SELECT when ``boolean`` is None, else ASK);
    ``links``: the head's ``<link href>`` elements (e.g. to say why a result was cut)."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
        "  <head>",
    ]
    out += [f"    <variable name={quoteattr(v)}/>" for v in variables]
    out += [f"    <link href={quoteattr(link)}/>" for link in links]
    out.append("  </head>")
    if boolean is not None:
        out.append(f"  <boolean>{'true' if boolean else 'false'}</boolean>")
    else:
        out.append("  <results>")
        for row in rows:
            out.append("    <result>")
            for var, term in zip(variables, row, strict=True):
                if term is not None:
                    out.append(f"      <binding name={quoteattr(var)}>{_xml_term(term)}</binding>")
            out.append("    </result>")
        out.append("  </results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"
