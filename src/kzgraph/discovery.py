"""What search engines and catalogues read: schema.org JSON-LD, ``sitemap.xml``, ``robots.txt``.

Pure functions from the dataset's metadata (:mod:`kzgraph.metadata`), the ontology's
alignments and page URLs to documents; ``kzgraph serve`` embeds and answers them.  The rule
this module keeps: the schema.org types of a resource come from the ontology's own
``rdfs:subClassOf`` alignments (:func:`schema_types`), never from a hand-written list, and
the JSON-LD carries its context inline, so any JSON-LD processor expands it without
fetching anything.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from kzgraph.metadata import Metadata
from kzgraph.query import Engine

SCHEMA = "https://schema.org/"
#: the inline context: schema.org's vocabulary, with the link-valued terms as IRIs
CONTEXT: dict[str, Any] = {
    "@vocab": SCHEMA,
    **{term: {"@type": "@id"} for term in ("url", "license", "contentUrl", "isBasedOn")},
}
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"


def schema_types(ontology: Engine) -> dict[str, tuple[str, ...]]:
    """Class IRI -> the schema.org classes it is aligned with (itself or through any chain
    of ``rdfs:subClassOf`` in the ontology), as schema.org local names, sorted."""
    result = ontology.run(
        f"SELECT DISTINCT ?c ?s WHERE {{ ?c <{RDFS_SUBCLASS}>+ ?s "
        f'FILTER(isIRI(?c) && STRSTARTS(STR(?s), "{SCHEMA}")) }}'
    )
    found: dict[str, set[str]] = {}
    for row in result.rows:
        cls, target = row[0], row[1]
        if cls is not None and target is not None:
            found.setdefault(cls.value, set()).add(target.value[len(SCHEMA) :])
    return {cls: tuple(sorted(names)) for cls, names in found.items()}


def types_of(classes: Iterable[str], alignments: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The schema.org types of a resource of ``classes`` (``Thing`` when none is aligned)."""
    names = {name for c in classes for name in alignments.get(c, ())}
    names |= {c[len(SCHEMA) :] for c in classes if c.startswith(SCHEMA)}
    return sorted(names) or ["Thing"]


def _coverage(start: dt.date, end: dt.date) -> str:
    """ISO 8601 interval: whole years as ``1991/2020``, otherwise the days."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return f"{start.year}/{end.year}"
    return f"{start.isoformat()}/{end.isoformat()}"


def dataset_document(
    meta: Metadata, *, page: str, downloads: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """The schema.org ``Dataset`` Google Dataset Search reads, for the landing page at
    ``page``; ``downloads``: (URL, IANA media type) of each dump."""
    publisher = {"@type": "Organization", "name": meta.publisher.name, "url": meta.publisher.url}
    return {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": meta.dataset,
        "name": meta.title,
        "description": meta.description,
        "url": page,
        "identifier": meta.dataset,
        "license": meta.licence,
        "creator": publisher,
        "publisher": publisher,
        "version": meta.version,
        "datePublished": meta.issued.isoformat(),
        "dateModified": meta.modified.isoformat(),
        "keywords": [text for text, _lang in meta.keywords],
        "temporalCoverage": _coverage(*meta.temporal),
        "spatialCoverage": [{"@type": "Place", "name": p.label} for p in meta.spatial],
        "isBasedOn": meta.source.record,
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "@id": meta.base + "catalog",
            "name": f"Catalogue of {meta.title}",
        },
        "distribution": [
            {"@type": "DataDownload", "encodingFormat": media, "contentUrl": url}
            for url, media in downloads
        ],
    }


def resource_document(iri: str, name: str, types: Sequence[str], page: str) -> dict[str, Any]:
    """The schema.org description of one resource for its page at ``page``."""
    return {"@context": CONTEXT, "@id": iri, "@type": list(types), "name": name, "url": page}


def script(document: Mapping[str, Any]) -> str:
    """``document`` as a ``<script type="application/ld+json">`` element, safe in HTML
    (``<``, ``>`` and ``&`` escaped as JSON's \\u escapes, so no text closes the element)."""
    text = json.dumps(document, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def sitemap_xml(urls: Iterable[str], lastmod: dt.date) -> str:
    """A sitemaps.org ``urlset``: every URL once, in the order given, with ``lastmod``."""
    day = lastmod.isoformat()
    entries = "".join(
        f"<url><loc>{escape(url)}</loc><lastmod>{day}</lastmod></url>\n"
        for url in dict.fromkeys(urls)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    )


#: paths a crawler should not walk: endless query answers, not pages
ROBOTS_DISALLOW = ("/sparql", "/query/", "/search", "/ask", "/store", "/update")


def robots_txt(sitemap: str, prefix: str = "") -> str:
    """``robots.txt``: pages open to every crawler, the query services closed (their paths
    under ``prefix``, the sub-path the site is served under), the sitemap."""
    closed = (f"Disallow: {prefix}{path}" for path in ROBOTS_DISALLOW)
    lines = ["User-agent: *", *closed, f"Allow: {prefix}/"]
    return "\n".join([*lines, "", f"Sitemap: {sitemap}", ""])
