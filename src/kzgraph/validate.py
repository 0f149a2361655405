"""SHACL validation with pyshacl, reported as frozen dataclasses.

The data graph given to pyshacl is the OWL RL closure (asserted + inferred), run
with ``inference='none'``: reasoning happens in one place (``reason``), and
``sh:class`` constraints on a superclass see the inferred types.

Results are counted as SHACL counts them: the report's top-level ``sh:result``s.  The
results pyshacl nests under one with ``sh:detail`` (why a value fails an ``sh:node``
shape) are that result's :attr:`Violation.details`, never counted on their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kzgraph.terms import Literal, pick_label

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

SH = "http://www.w3.org/ns/shacl#"


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL validation result, with what a person needs to fix it."""

    file: str  # the data file that defines the focus node ("" when unknown)
    focus: str  # IRI (or blank node id) of the focus node
    focus_label: str
    path: str  # the property path, prefixed where possible ("" for node-level results)
    message: str
    severity: str  # "Violation", "Warning" or "Info"
    source_shape: str
    component: str  # e.g. "sh:MinCountConstraintComponent"
    value: str = ""  # the offending value, when pyshacl gives one
    #: the nested results (``sh:detail``) that explain this one, e.g. why the value
    #: fails the shape an ``sh:node`` refers to; their focus is that value
    details: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    results: tuple[Violation, ...]
    triples: int = 0
    severity_counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def violations(self) -> int:
        return self.severity_counts.get("Violation", 0)

    @property
    def warnings(self) -> int:
        return self.severity_counts.get("Warning", 0)


def _labels_of(graph: Graph, node: object) -> str:
    from rdflib import Literal as RLiteral
    from rdflib import URIRef

    from kzgraph.terms import LABEL_PREDICATES

    if not isinstance(node, URIRef):
        return str(node)
    found = []
    for pred in LABEL_PREDICATES:
        for value in graph.objects(node, URIRef(pred)):
            if isinstance(value, RLiteral):
                found.append((pred, Literal(str(value), language=value.language or None)))
    return pick_label(str(node), found)


def _short(graph: Graph, node: object) -> str:
    from rdflib import URIRef

    if node is None:
        return ""
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node).strip("<>")
        except Exception:  # noqa: BLE001 - rdflib raises assorted errors on odd IRIs
            return str(node)
    return node.n3() if hasattr(node, "n3") else str(node)


def pyshacl_results(data: Graph, shapes: Graph, *, scratch: bool = False) -> Graph:
    """pyshacl's validation report graph for ``data`` that is already reasoned (so no
    inference here: one place reasons), with every result kept (warnings, infos).

    pyshacl copies ``data`` first (advanced mode: SHACL rules would add to it).  A
    ``scratch`` graph, one the caller throws away after this, is not copied when the
    shapes have no ``sh:rule``: nothing then writes to it, and the results are the same."""
    import pyshacl
    from rdflib import URIRef

    in_place = scratch and (None, URIRef(SH + "rule"), None) not in shapes
    _conforms, results_graph, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
        allow_infos=True,
        advanced=True,
        inplace=in_place,
    )
    return results_graph  # type: ignore[no-any-return]  # pyshacl is untyped


def validate_graph(
    data: Graph,
    shapes: Graph,
    sources: Mapping[str, tuple[str, ...]] | None = None,
    *,
    scratch: bool = False,
) -> ValidationReport:
    """Validate ``data`` (already reasoned) against ``shapes``; never modifies ``data``'s
    triples (``scratch``: see :func:`pyshacl_results`)."""
    from rdflib import Literal as RLiteral
    from rdflib import URIRef

    from kzgraph.namespaces import PREFIXES

    sources = sources or {}
    results_graph = pyshacl_results(data, shapes, scratch=scratch)
    for prefix, ns in PREFIXES.items():
        results_graph.bind(prefix, ns, replace=True)
        data.namespace_manager.bind(prefix, ns, override=False)

    sh = {
        name: URIRef(SH + name)
        for name in (
            "result",
            "detail",
            "focusNode",
            "resultPath",
            "resultMessage",
            "resultSeverity",
            "sourceShape",
            "sourceConstraintComponent",
            "value",
        )
    }

    def violation(result: Node, depth: int = 0) -> Violation:
        def one(name: str) -> Node | None:
            return results_graph.value(result, sh[name])

        focus = one("focusNode")
        severity = str(one("resultSeverity") or SH + "Violation").removeprefix(SH)
        messages = sorted(str(m) for m in results_graph.objects(result, sh["resultMessage"]))
        component = _short(results_graph, one("sourceConstraintComponent"))
        value = one("value")
        owners = sources.get(str(focus), ())
        nested = results_graph.objects(result, sh["detail"]) if depth < 16 else ()
        return Violation(
            file=owners[0] if owners else "",
            # a literal focus (a detail's: the value that failed) keeps its quotes
            focus=str(focus) if not isinstance(focus, RLiteral) else focus.n3(),
            focus_label=_labels_of(data, focus),
            path=_short(results_graph, one("resultPath")),
            message="; ".join(messages) or component,
            severity=severity,
            source_shape=_short(results_graph, one("sourceShape")),
            component=component,
            value=_short(data, value) if value is not None else "",
            details=tuple(sorted(violation(d, depth + 1) for d in nested)),
        )

    results = [violation(r) for r in results_graph.objects(None, sh["result"])]
    results.sort()
    counts = Counter(v.severity for v in results)
    return ValidationReport(
        conforms=counts.get("Violation", 0) == 0,
        results=tuple(results),
        triples=len(data),
        severity_counts=dict(counts),
    )
