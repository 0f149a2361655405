"""The IRIs kzgraph mints, written in one place.

Every resource IRI is ``{RESOURCE_BASE}{kind}/{slug}``; the ontology lives at
``ONTOLOGY``.  ``kzgraph export --base`` rewrites ``RESOURCE_BASE`` for publishers
who host the data under their own domain.
"""

from __future__ import annotations

from typing import Any

#: The persistent-URL base every kzgraph IRI starts with.
BASE = "https://w3id.org/kzgraph/"
#: The ontology namespace (classes, properties, SKOS concepts of the model).
ONTOLOGY = BASE + "ontology#"
#: The namespace of every resource in ``data/``.
RESOURCE_BASE = BASE + "resource/"
#: kzgraph's SPARQL extension functions (``kzf:score``...; see :mod:`kzgraph.search`).
FUNCTIONS = BASE + "function#"
#: the functions themselves (:class:`kzgraph.engine.TextFunctions`)
SCORE = FUNCTIONS + "score"
MATCH = FUNCTIONS + "match"
SNIPPET = FUNCTIONS + "snippet"

#: The kinds of resource, one per data file, each a path segment under RESOURCE_BASE.
KINDS = (
    "state",
    "person",
    "people",
    "office",
    "tenure",
    "document",
    "event",
    "institution",
    "place",
    "diaspora",
    "figure",
    "work",
    "paragraph",
    "conflict",
    "section",
    "discourse",
    "citation",
)

#: Prefixes every kzgraph graph is serialized with (and data files declare).
PREFIXES: dict[str, str] = {
    "kz": ONTOLOGY,
    **{kind: f"{RESOURCE_BASE}{kind}/" for kind in KINDS},
    "bibo": "http://purl.org/ontology/bibo/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
    "sh": "http://www.w3.org/ns/shacl#",
    "kzsh": "https://w3id.org/kzgraph/shapes#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "time": "http://www.w3.org/2006/time#",
    "void": "http://rdfs.org/ns/void#",
    "wd": "http://www.wikidata.org/entity/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def __getattr__(name: str) -> Any:
    """``KZ`` and ``KZR`` as rdflib namespaces, imported lazily so the CLI starts fast."""
    if name in ("KZ", "KZR"):
        from rdflib import Namespace

        return Namespace(ONTOLOGY if name == "KZ" else RESOURCE_BASE)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
