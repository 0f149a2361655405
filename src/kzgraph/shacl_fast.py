"""SHACL Core validation as SPARQL inside the pyoxigraph store (the fast path).

pyshacl (the reference, :mod:`kzgraph.validate`) needs an rdflib graph: at a million
triples the parse alone takes half a minute.  pyrudof (Rust) was measured too and was
*slower* than pyshacl on these shapes (11.4 s vs ~2 s at 100k asserted triples), so
this module compiles the shapes into SPARQL SELECT queries that return the violating
focus nodes (and values) directly from the materialized store.

Each shape becomes a boolean expression ``conforms(?v)`` (node-level constraints
and its property shapes, with ``EXISTS``/``NOT EXISTS`` for paths), which is how
``sh:node``, ``sh:not``, ``sh:or``, ``sh:and``, ``sh:xone`` and
``sh:qualifiedValueShape`` refer to other shapes.  The top-level results have pyshacl's
granularity: one per (focus, value) for value constraints, one per focus for
``sh:minCount``/``sh:maxCount``/``sh:hasValue``/qualified counts, one per (focus,
value, other) for ``sh:lessThanOrEquals``; messages are the source shape's
``sh:message`` (pyshacl does the same; a shape without one gets a generated message).

Two things keep this fast at a million triples (measured, 1M: 43.7 s -> ~6 s):
``EXISTS`` is always tested on a ``BIND`` alias (Oxigraph evaluates ``EXISTS { ?v a C }``
on a variable bound straight by a triple pattern by scanning every ``?x a C`` per row,
and on an alias by an index lookup), and where the focus nodes have a membership test
(``targetClass``, ``targetNode``, ``targetSubjectsOf/ObjectsOf``), value, ``maxCount``,
``uniqueLang`` and ``lessThanOrEquals`` checks find their few candidates from the
property side first and then keep those in focus, instead of enumerating the focus
nodes once per check.

Preconditions (the fast path guarantees them): the data graph is the OWL RL closure,
so ``?x a C`` already holds for every superclass and ``rdf:type/rdfs:subClassOf*``
reduces to ``a``.  A construct outside what is compiled here (sh:closed, sh:sparql,
complex paths, qualifiedValueShapesDisjoint, counts above 1 inside nested shapes...)
raises :class:`UnsupportedShapeError` naming the shape; the caller falls back to pyshacl.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kzgraph.errors import KzgraphError

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Graph

    from kzgraph.validate import ValidationReport

SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: node kinds -> SPARQL test
_NODE_KINDS = {
    "IRI": "isIRI({v})",
    "Literal": "isLiteral({v})",
    "BlankNode": "isBlank({v})",
    "BlankNodeOrIRI": "(isBlank({v}) || isIRI({v}))",
    "BlankNodeOrLiteral": "(isBlank({v}) || isLiteral({v}))",
    "IRIOrLiteral": "(isIRI({v}) || isLiteral({v}))",
}

#: parameters understood on a shape (besides the ones handled specially)
_VALUE_PARAMS = {
    "class",
    "datatype",
    "nodeKind",
    "in",
    "pattern",
    "languageIn",
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
    "minLength",
    "maxLength",
    "node",
    "not",
    "or",
    "and",
    "xone",
}
_KNOWN = _VALUE_PARAMS | {
    "path",
    "property",
    "minCount",
    "maxCount",
    "hasValue",
    "uniqueLang",
    "lessThanOrEquals",
    "qualifiedValueShape",
    "qualifiedMinCount",
    "qualifiedMaxCount",
    "flags",
    "message",
    "severity",
    "deactivated",
    "targetClass",
    "targetNode",
    "targetSubjectsOf",
    "targetObjectsOf",
    "name",
    "description",
    "order",
    "group",
    "defaultValue",
}
_COMPONENT = {
    "class": "ClassConstraintComponent",
    "datatype": "DatatypeConstraintComponent",
    "nodeKind": "NodeKindConstraintComponent",
    "in": "InConstraintComponent",
    "pattern": "PatternConstraintComponent",
    "languageIn": "LanguageInConstraintComponent",
    "minInclusive": "MinInclusiveConstraintComponent",
    "maxInclusive": "MaxInclusiveConstraintComponent",
    "minExclusive": "MinExclusiveConstraintComponent",
    "maxExclusive": "MaxExclusiveConstraintComponent",
    "minLength": "MinLengthConstraintComponent",
    "maxLength": "MaxLengthConstraintComponent",
    "node": "NodeConstraintComponent",
    "not": "NotConstraintComponent",
    "or": "OrConstraintComponent",
    "and": "AndConstraintComponent",
    "xone": "XoneConstraintComponent",
    "minCount": "MinCountConstraintComponent",
    "maxCount": "MaxCountConstraintComponent",
    "hasValue": "HasValueConstraintComponent",
    "uniqueLang": "UniqueLangConstraintComponent",
    "lessThanOrEquals": "LessThanOrEqualsConstraintComponent",
    "qualifiedMinCount": "QualifiedMinCountConstraintComponent",
    "qualifiedMaxCount": "QualifiedMaxCountConstraintComponent",
}


class UnsupportedShapeError(KzgraphError):
    """A shape uses SHACL the SPARQL compiler does not cover (use pyshacl instead)."""

    def __init__(self, shape: str, why: str):
        super().__init__(f"shape {shape}: {why}", hint="validate with pyshacl (reference)")
        self.shape = shape
        self.why = why


@dataclass(frozen=True)
class RawResult:
    """One validation result, all terms in N-Triples form (IRIs without brackets)."""

    focus: str
    path: str | None
    component: str  # full IRI
    source_shape: str
    value: str | None
    severity: str  # full IRI
    messages: tuple[str, ...] = ()
    #: the result this one explains (``sh:detail``): its value is this one's focus
    detail_of: RawResult | None = None


@dataclass(frozen=True)
class CompiledCheck:
    """One query: which shape, which component, and how rows become results."""

    shape: str
    component: str
    path: str | None
    query: str
    has_value: bool  # the query binds ?v
    #: the ``sh:node`` check whose failing values this check's shape explains: its
    #: results are ``sh:detail``s of that check's results, not results of their own
    parent: CompiledCheck | None = None


def _less_or_equal(a: str, b: str) -> str:
    """pyshacl's ``a <= b`` (rdflib's order): SPARQL's ``<=`` where the two compare;
    literals of incomparable datatypes ordered by datatype IRI; IRIs as strings."""
    return (
        f"(COALESCE({a} <= {b}, (isLiteral({a}) && isLiteral({b}) && "
        f"STR(DATATYPE({a})) < STR(DATATYPE({b}))), false) || "
        f"(isIRI({a}) && isIRI({b}) && STR({a}) <= STR({b})))"
    )


def _n3(term: Any) -> str:
    """A SPARQL constant for an rdflib term."""
    text: str = term.n3()
    return text


def _safe(expr: str) -> str:
    """``expr`` with an error (a value of the wrong type) read as false."""
    return f"COALESCE({expr}, false)"


def _is_true(values: list[Any] | None) -> bool:
    """Whether a parameter's first value is the boolean true."""
    return values is not None and len(values) > 0 and str(values[0]).lower() == "true"


# --------------------------------------------------------------------------- the shapes graph


class _ShapesGraph:
    """The shapes graph read once into node -> parameter -> [terms], and the questions
    the compiler asks it: a shape's parameters (refusing what is not compiled), its
    one path, its lists, its messages and severity."""

    def __init__(self, shapes: Graph) -> None:
        from rdflib import URIRef
        from rdflib.collection import Collection

        self.graph = shapes
        self.URIRef = URIRef
        self.Collection = Collection
        self.params: dict[Any, dict[str, list[Any]]] = {}
        for s, p, o in shapes:
            if str(p).startswith(SH):
                self.params.setdefault(s, {}).setdefault(str(p)[len(SH) :], []).append(o)

    def name(self, shape: Any) -> str:
        return str(shape)

    def one(self, shape: Any, param: str) -> Any:
        values = self.params.get(shape, {}).get(param, [])
        if len(values) != 1:
            raise UnsupportedShapeError(self.name(shape), f"needs exactly one sh:{param}")
        return values[0]

    def items(self, node: Any) -> list[Any]:
        return list(self.Collection(self.graph, node))

    def path(self, shape: Any) -> str:
        path = self.one(shape, "path")
        if not isinstance(path, self.URIRef):
            raise UnsupportedShapeError(self.name(shape), "only IRI paths are compiled")
        return str(path)

    def active_params(
        self, shape: Any, *, property_shape: bool = False
    ) -> dict[str, list[Any]] | None:
        """The shape's parameters once :meth:`check_params` accepts them; None when the
        shape is ``sh:deactivated``.  A ``property_shape`` may not nest ``sh:property``."""
        self.check_params(shape)
        params = self.params.get(shape, {})
        deactivated = params.get("deactivated")
        if deactivated and str(deactivated[0]).lower() == "true":
            return None
        if property_shape and "property" in params:
            raise UnsupportedShapeError(self.name(shape), "sh:property on a property shape")
        return params

    def check_params(self, shape: Any) -> None:
        params = self.params.get(shape, {})
        unknown = set(params) - _KNOWN
        if unknown:
            raise UnsupportedShapeError(
                self.name(shape), f"unsupported parameters: sh:{', sh:'.join(sorted(unknown))}"
            )
        if "qualifiedValueShapesDisjoint" in params:
            raise UnsupportedShapeError(self.name(shape), "sh:qualifiedValueShapesDisjoint")
        for flag in params.get("flags", []):
            if not str(flag).replace("i", "").replace("s", "").replace("m", "") == "":
                raise UnsupportedShapeError(self.name(shape), f"sh:flags {flag!s}")

    def is_class(self, shape: Any) -> bool:
        """Whether the shape is also a class (an implicit class target, not compiled)."""
        from rdflib import RDF as RDFNS
        from rdflib import RDFS as RDFSNS

        owl_class = self.URIRef("http://www.w3.org/2002/07/owl#Class")
        return (shape, RDFNS.type, RDFSNS.Class) in self.graph or (
            shape,
            RDFNS.type,
            owl_class,
        ) in self.graph

    def messages(self, shape: str) -> tuple[str, ...]:
        return tuple(str(m) for m in self.params.get(self.URIRef(shape), {}).get("message", []))

    def severity(self, shape: str) -> str:
        found = self.params.get(self.URIRef(shape), {}).get("severity", [])
        return str(found[0]) if found else SH + "Violation"


# --------------------------------------------------------------------------- targets


def _focus(params: Mapping[str, list[Any]]) -> tuple[str, str] | None:
    """The focus nodes of a shape's targets: a pattern binding ``?f``, and the same set
    as a membership test of ``?g`` (a BIND alias).  None for a shape without targets."""
    parts, tests = [], []
    for c in params.get("targetClass", []):
        parts.append(f"{{ ?f a {_n3(c)} }}")
        tests.append(f"EXISTS {{ ?g a {_n3(c)} }}")
    for node in params.get("targetNode", []):
        parts.append(f"{{ BIND({_n3(node)} AS ?f) }}")
        tests.append(f"sameTerm(?g, {_n3(node)})")
    for p in params.get("targetSubjectsOf", []):
        parts.append(f"{{ ?f {_n3(p)} [] }}")
        tests.append(f"EXISTS {{ ?g {_n3(p)} [] }}")
    for p in params.get("targetObjectsOf", []):
        parts.append(f"{{ [] {_n3(p)} ?f }}")
        tests.append(f"EXISTS {{ [] {_n3(p)} ?g }}")
    if not parts:
        return None
    if len(parts) == 1 and (params.get("targetClass") or params.get("targetNode")):
        focus = parts[0]  # one class (or node): already distinct
    else:
        focus = f"{{ SELECT DISTINCT ?f WHERE {{ {' UNION '.join(parts)} }} }}"
    return focus, "(" + " || ".join(tests) + ")"


# --------------------------------------------------------------------------- conditions


class _Conditions:
    """Boolean SPARQL expressions: does a value meet a constraint, or a whole shape.

    These are how shapes refer to shapes (``sh:node``, ``sh:not``, ``sh:or``...): a
    nested shape becomes a condition on the value node, its property shapes
    ``EXISTS``/``NOT EXISTS`` tests.  A value-level expression never raises an error in
    SPARQL: each is wrapped in :func:`_safe`.  Fresh variables are ``?w1``, ``?w2``..."""

    def __init__(self, shapes: _ShapesGraph) -> None:
        self.shapes = shapes
        self.counter = itertools.count(1)

    def fresh(self) -> str:
        return f"?w{next(self.counter)}"

    def value(self, shape: Any, param: str, arg: Any, v: str, depth: int) -> str:
        """Whether the value ``v`` meets the constraint ``sh:param arg`` of ``shape``."""
        if param in ("node", "not", "or", "and", "xone"):
            return self._logical(param, arg, v, depth)
        return self._term_test(shape, param, arg, v)

    def _term_test(self, shape: Any, param: str, arg: Any, v: str) -> str:
        """The constraints on the value term itself (class, datatype, kind, range...)."""
        if param == "class":
            return f"EXISTS {{ {v} a {_n3(arg)} }}"
        if param == "datatype":
            dt = str(arg)
            if dt == RDF + "langString":
                return f'(isLiteral({v}) && LANG({v}) != "")'
            return f'(isLiteral({v}) && DATATYPE({v}) = <{dt}> && LANG({v}) = "")'
        if param == "nodeKind":
            kind = str(arg)[len(SH) :]
            if kind not in _NODE_KINDS:
                raise UnsupportedShapeError(self.shapes.name(shape), f"sh:nodeKind {arg}")
            return _NODE_KINDS[kind].format(v=v)
        if param == "in":
            members = self.shapes.items(arg)
            if not members:
                return "false"
            return "(" + " || ".join(f"sameTerm({v}, {_n3(m)})" for m in members) + ")"
        if param == "pattern":
            flags = self.shapes.params.get(shape, {}).get("flags", [])
            flag = f", {_n3(flags[0])}" if flags else ""
            return f"(!isBlank({v}) && REGEX(STR({v}), {_n3(arg)}{flag}))"
        if param == "languageIn":
            langs = self.shapes.items(arg)
            tests = " || ".join(f"LANGMATCHES(LANG({v}), {_n3(lang)})" for lang in langs)
            return f'(isLiteral({v}) && LANG({v}) != "" && ({tests or "false"}))'
        if param in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
            op = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">"}.get(param, "<")
            return f"(isLiteral({v}) && {v} {op} {_n3(arg)})"
        if param in ("minLength", "maxLength"):
            op = ">=" if param == "minLength" else "<="
            return f"(!isBlank({v}) && STRLEN(STR({v})) {op} {int(arg)})"
        raise UnsupportedShapeError(self.shapes.name(shape), f"sh:{param}")  # pragma: no cover

    def _logical(self, param: str, arg: Any, v: str, depth: int) -> str:
        """``sh:node``, ``sh:not``, ``sh:or``, ``sh:and``, ``sh:xone``: shapes of the value."""
        if param == "node":
            return self.conforms(arg, v, depth + 1)
        if param == "not":
            return f"!({self.conforms(arg, v, depth + 1)})"
        members = [self.conforms(m, v, depth + 1) for m in self.shapes.items(arg)]
        if not members:
            return "true" if param == "and" else "false"
        if param == "or":
            return "(" + " || ".join(members) + ")"
        if param == "and":
            return "(" + " && ".join(members) + ")"
        return "((" + " + ".join(f"IF({m}, 1, 0)" for m in members) + ") = 1)"

    def conforms(self, shape: Any, v: str, depth: int = 0) -> str:
        """Whether the value node ``v`` conforms to the whole ``shape``."""
        if depth > 8:
            raise UnsupportedShapeError(self.shapes.name(shape), "shapes nested too deeply")
        params = self.shapes.active_params(shape)
        if params is None:
            return "true"
        parts: list[str] = []
        if "path" in params:  # a property shape used as a node's conformance test
            parts += self.properties(shape, v, depth)
        else:
            for param in sorted(set(params) & _VALUE_PARAMS):
                for arg in params[param]:
                    parts.append(_safe(self.value(shape, param, arg, v, depth)))
            if "hasValue" in params:
                parts += [f"sameTerm({v}, {_n3(x)})" for x in params["hasValue"]]
            for prop in params.get("property", []):
                parts += self.properties(prop, v, depth + 1)
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def properties(self, shape: Any, f: str, depth: int) -> list[str]:
        """The tests the node ``f`` must pass for the property shape ``shape``."""
        params = self.shapes.active_params(shape, property_shape=True)
        if params is None:
            return []
        p = f"<{self.shapes.path(shape)}>"
        out = self._counts(shape, params, f, p)
        out += [f"EXISTS {{ {f} {p} {_n3(x)} }}" for x in params.get("hasValue", [])]
        for param in sorted(set(params) & _VALUE_PARAMS):
            for arg in params[param]:
                w = self.fresh()
                cond = _safe(self.value(shape, param, arg, w, depth))
                out.append(f"NOT EXISTS {{ {f} {p} {w} FILTER(!{cond}) }}")
        out += self._pairs(params, f, p)
        if "qualifiedValueShape" in params:
            out += self._qualified(shape, params, f, p, depth)
        return out

    def _counts(self, shape: Any, params: Mapping[str, list[Any]], f: str, p: str) -> list[str]:
        """``sh:minCount`` 1 and ``sh:maxCount`` 0 or 1 (larger counts are not nested)."""
        out: list[str] = []
        for n in params.get("minCount", []):
            if int(n) > 1:
                raise UnsupportedShapeError(self.shapes.name(shape), "nested sh:minCount above 1")
            if int(n) == 1:
                out.append(f"EXISTS {{ {f} {p} {self.fresh()} }}")
        for n in params.get("maxCount", []):
            if int(n) != 1 and int(n) != 0:
                raise UnsupportedShapeError(self.shapes.name(shape), "nested sh:maxCount above 1")
            a, b = self.fresh(), self.fresh()
            if int(n) == 0:
                out.append(f"NOT EXISTS {{ {f} {p} {a} }}")
            else:
                out.append(
                    f"NOT EXISTS {{ {f} {p} {a} . {f} {p} {b} FILTER(!sameTerm({a}, {b})) }}"
                )
        return out

    def _pairs(self, params: Mapping[str, list[Any]], f: str, p: str) -> list[str]:
        """The constraints on two values at once: ``sh:uniqueLang``, ``sh:lessThanOrEquals``."""
        out: list[str] = []
        if _is_true(params.get("uniqueLang")):
            a, b = self.fresh(), self.fresh()
            out.append(
                f"NOT EXISTS {{ {f} {p} {a} . {f} {p} {b} FILTER(!sameTerm({a}, {b}) && "
                f'LANG({a}) != "" && LANG({a}) = LANG({b})) }}'
            )
        for other in params.get("lessThanOrEquals", []):
            a, b = self.fresh(), self.fresh()
            out.append(
                f"NOT EXISTS {{ {f} {p} {a} . {f} {_n3(other)} {b} "
                f"FILTER(!{_less_or_equal(a, b)}) }}"
            )
        return out

    def _qualified(
        self, shape: Any, params: Mapping[str, list[Any]], f: str, p: str, depth: int
    ) -> list[str]:
        """``sh:qualifiedMinCount`` 1 (no other qualified count is nested)."""
        out: list[str] = []
        qshape = self.shapes.one(shape, "qualifiedValueShape")
        w = self.fresh()
        cond = self.conforms(qshape, w, depth + 1)
        for n in params.get("qualifiedMinCount", []):
            if int(n) > 1:
                raise UnsupportedShapeError(self.shapes.name(shape), "nested qualifiedMinCount > 1")
            if int(n) == 1:
                out.append(f"EXISTS {{ {f} {p} {w} FILTER({cond}) }}")
        if params.get("qualifiedMaxCount"):
            raise UnsupportedShapeError(self.shapes.name(shape), "nested sh:qualifiedMaxCount")
        return out


# --------------------------------------------------------------------------- checks


def _failing_values(query: str) -> str:
    """A focus pattern (``?f``) of the values a ``SELECT ?f ?v`` check reports."""
    return (
        f"{{ SELECT DISTINCT (?dv AS ?f) WHERE {{ {{ SELECT (?v AS ?dv) WHERE "
        f"{{ {{ {query} }} }} }} }} }}"
    )


@dataclass(frozen=True)
class _Scope:
    """What the checks of one property shape share: the shape, its path, its focus nodes
    (a pattern binding ``?f``, and a membership test of ``?g`` when the targets have
    one), the nesting depth and the ``sh:node`` check they explain, if any."""

    shape: Any
    path: str
    focus: str
    member: str | None
    depth: int
    parent: CompiledCheck | None

    @property
    def p(self) -> str:
        return f"<{self.path}>"

    def check(self, component: str, query: str, has_value: bool) -> CompiledCheck:
        return CompiledCheck(
            str(self.shape), SH + component, self.path, query, has_value, self.parent
        )


class _Compiler:
    """The top-level checks: one SPARQL SELECT per (shape, constraint) over its targets.

    Node shapes and property shapes get their own methods, and a property shape one
    method per kind of constraint.  Two rules keep the queries fast at a million
    triples (see the module docstring): ``EXISTS`` is tested on a ``BIND`` alias, and
    where the focus nodes have a membership test the candidates come from the property
    side first."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = _ShapesGraph(shapes)
        self.conditions = _Conditions(self.shapes)
        #: focus pattern -> membership test of ``?g`` (a BIND alias), for the checks
        #: that find candidates from the property side and then keep the focus nodes
        self.members: dict[str, str] = {}

    def compile(self) -> list[CompiledCheck]:
        checks: list[CompiledCheck] = []
        for shape in sorted(self.shapes.params, key=str):
            found = _focus(self.shapes.params.get(shape, {}))
            if found is None:
                continue
            focus, member = found
            self.members[focus] = member
            if self.shapes.is_class(shape):
                raise UnsupportedShapeError(self.shapes.name(shape), "implicit class targets")
            checks += self.shape_checks(shape, focus, 0)
        return checks

    def shape_checks(
        self, shape: Any, focus: str, depth: int, parent: CompiledCheck | None = None
    ) -> list[CompiledCheck]:
        """The checks of one shape over the focus nodes ``focus`` binds to ``?f``.

        pyshacl reports, under each ``sh:node`` result, the referenced shape's own results
        for the value node (``sh:detail``, typed ``sh:ValidationResult`` too); they are
        compiled here by running that shape with the failing values as focus nodes, each
        check with the ``sh:node`` check as its ``parent``."""
        if depth > 8:
            raise UnsupportedShapeError(self.shapes.name(shape), "sh:node nested too deeply")
        params = self.shapes.active_params(shape)
        if params is None:
            return []
        if "path" in params:
            return self.property_checks(shape, focus, depth, parent)
        checks: list[CompiledCheck] = []
        for param in sorted(set(params) & _VALUE_PARAMS):
            for arg in params[param]:
                # tested on an alias (BIND): see property_checks
                cond = _safe(self.conditions.value(shape, param, arg, "?v", 0))
                query = f"SELECT ?f ?v WHERE {{ {focus} BIND(?f AS ?v) FILTER(!{cond}) }}"
                if param == "class":  # a hash anti-join, as in property_checks
                    query = (
                        f"SELECT ?f ?v WHERE {{ {focus} MINUS {{ ?f a {_n3(arg)} }} "
                        f"BIND(?f AS ?v) }}"
                    )
                check = CompiledCheck(str(shape), SH + _COMPONENT[param], None, query, True, parent)
                checks.append(check)
                if param == "node":
                    checks += self.shape_checks(arg, _failing_values(query), depth + 1, check)
        for x in params.get("hasValue", []):
            checks.append(
                CompiledCheck(
                    str(shape),
                    SH + "HasValueConstraintComponent",
                    None,
                    f"SELECT ?f WHERE {{ {focus} FILTER(!sameTerm(?f, {_n3(x)})) }}",
                    False,
                    parent,
                )
            )
        for prop in params.get("property", []):
            checks += self.property_checks(prop, focus, depth, parent)
        return checks

    def property_checks(
        self, shape: Any, focus: str, depth: int = 0, parent: CompiledCheck | None = None
    ) -> list[CompiledCheck]:
        """The checks of one property shape, one kind of constraint after another.

        Oxigraph tests ``EXISTS`` on a variable bound straight by a pattern by scanning
        the EXISTS pattern per row, on a BIND alias (``?g``) by an index lookup: every
        EXISTS is on an alias.  Where the focus nodes have a membership test, candidates
        come from the property side and are then kept if in focus.  Focus nodes without
        a value are a MINUS (a hash anti-join: per-node lookups walk every triple of a
        hub node; 1M: sh:minCount checks 1.8 -> 0.9 s)."""
        params = self.shapes.active_params(shape, property_shape=True)
        if params is None:
            return []
        scope = _Scope(
            shape, self.shapes.path(shape), focus, self.members.get(focus), depth, parent
        )
        out = self._count_checks(scope, params)
        out += [
            scope.check(
                "HasValueConstraintComponent",
                f"SELECT ?f WHERE {{ {focus} MINUS {{ ?f {scope.p} {_n3(x)} }} }}",
                False,
            )
            for x in params.get("hasValue", [])
        ]
        for param in sorted(set(params) & _VALUE_PARAMS):
            for arg in params[param]:
                check = scope.check(_COMPONENT[param], self._value_query(scope, param, arg), True)
                out.append(check)
                if param == "node":
                    nested = _failing_values(check.query)
                    out.extend(self.shape_checks(arg, nested, depth + 1, check))
        out += self._pair_checks(scope, params)
        if "qualifiedValueShape" in params:
            out += self._qualified_checks(scope, params)
        return out

    def _count_checks(self, scope: _Scope, params: Mapping[str, list[Any]]) -> list[CompiledCheck]:
        """``sh:minCount`` (a MINUS for 1, a grouped count above) and ``sh:maxCount``."""
        focus, p, member = scope.focus, scope.p, scope.member
        out: list[CompiledCheck] = []
        for n in params.get("minCount", []):
            if int(n) == 1:
                query = f"SELECT ?f WHERE {{ {focus} MINUS {{ ?f {p} ?x }} }}"
                out.append(scope.check("MinCountConstraintComponent", query, False))
            elif int(n) > 1:
                query = (
                    f"SELECT ?f WHERE {{ {focus} OPTIONAL {{ ?f {p} ?v }} }} "
                    f"GROUP BY ?f HAVING (COUNT(DISTINCT ?v) < {int(n)})"
                )
                out.append(scope.check("MinCountConstraintComponent", query, False))
        for n in params.get("maxCount", []):
            # COUNT(*): the rows (?f, ?v) are distinct already (triples of one graph,
            # distinct focus nodes), and no set per group is kept (1M: -20%)
            if member:
                query = (
                    f"SELECT ?f WHERE {{ {{ SELECT ?f WHERE {{ ?f {p} ?v }} GROUP BY ?f "
                    f"HAVING (COUNT(*) > {int(n)}) }} BIND(?f AS ?g) FILTER({member}) }}"
                )
            else:
                query = (
                    f"SELECT ?f WHERE {{ {focus} ?f {p} ?v }} "
                    f"GROUP BY ?f HAVING (COUNT(*) > {int(n)})"
                )
            out.append(scope.check("MaxCountConstraintComponent", query, False))
        return out

    def _value_query(self, scope: _Scope, param: str, arg: Any) -> str:
        """The (focus, value) pairs whose value fails ``sh:param arg``.

        The condition is tested once per distinct value, then joined with the focus
        nodes: at 1M triples, sh:not on kz:participantState took 23 s testing EXISTS per
        (focus, value) row, the few states repeated each time.  The value is tested on an
        alias (BIND): Oxigraph evaluates an ``EXISTS { ?v a C }`` on a variable that comes
        straight from a pattern by scanning every ``?x a C`` per row (1M: 7.6 s for 55
        values; on the alias: an index lookup, 0.02 s)."""
        focus, p, member = scope.focus, scope.p, scope.member
        cond = _safe(self.conditions.value(scope.shape, param, arg, "?v", 0))
        failing = (
            f"{{ SELECT ?v WHERE {{ {{ SELECT DISTINCT ?u "
            f"WHERE {{ [] {p} ?u }} }} BIND(?u AS ?v) FILTER(!{cond}) }} }}"
        )
        if param == "class":
            # the values without the class: a hash anti-join (MINUS) instead of a
            # lookup per value, which walks every triple of a hub value
            failing = (
                f"{{ SELECT ?v WHERE {{ {{ SELECT DISTINCT ?v WHERE {{ [] {p} ?v }} }} "
                f"MINUS {{ ?v a {_n3(arg)} }} }} }}"
            )
        if "EXISTS" not in cond:
            # a test of the value alone (datatype, pattern, languageIn...) is
            # cheaper per row than hashing every distinct value first (1M:
            # rdfs:label's sh:datatype 0.19 -> 0.08 s, 85k mostly distinct values)
            rows = f"?f {p} ?v FILTER(!{cond})"
            if member:
                return f"SELECT ?f ?v WHERE {{ {rows} BIND(?f AS ?g) FILTER({member}) }}"
            return f"SELECT ?f ?v WHERE {{ {focus} {rows} }}"
        if member:
            return f"SELECT ?f ?v WHERE {{ {failing} ?f {p} ?v BIND(?f AS ?g) FILTER({member}) }}"
        return f"SELECT ?f ?v WHERE {{ {failing} {focus} ?f {p} ?v }}"

    def _pair_checks(self, scope: _Scope, params: Mapping[str, list[Any]]) -> list[CompiledCheck]:
        """``sh:uniqueLang`` and ``sh:lessThanOrEquals``: constraints on two values."""
        focus, p, member = scope.focus, scope.p, scope.member
        out: list[CompiledCheck] = []
        if _is_true(params.get("uniqueLang")):
            # pyshacl: one result per focus node and duplicated language, without a value;
            # (focus, language) groups of more than one value, instead of joining the
            # values pairwise (1M: skos:prefLabel 0.42 -> 0.25 s); COUNT(*): the rows
            # are distinct triples
            grouped = (
                f"{{ SELECT ?f ?lang WHERE {{ ?f {p} ?a BIND(LANG(?a) AS ?lang) "
                f'FILTER(?lang != "") }} GROUP BY ?f ?lang HAVING (COUNT(*) > 1) }}'
            )
            if member:
                query = f"SELECT ?f ?lang WHERE {{ {grouped} BIND(?f AS ?g) FILTER({member}) }}"
            else:
                query = f"SELECT ?f ?lang WHERE {{ {focus} {grouped} }}"
            out.append(scope.check("UniqueLangConstraintComponent", query, False))
        for other in params.get("lessThanOrEquals", []):
            pairs = f"?f {p} ?v . ?f {_n3(other)} ?o FILTER(!{_less_or_equal('?v', '?o')})"
            if member:
                query = f"SELECT ?f ?v WHERE {{ {pairs} BIND(?f AS ?g) FILTER({member}) }}"
            else:
                query = f"SELECT ?f ?v WHERE {{ {focus} {pairs} }}"
            out.append(scope.check("LessThanOrEqualsConstraintComponent", query, True))
        return out

    def _qualified_checks(
        self, scope: _Scope, params: Mapping[str, list[Any]]
    ) -> list[CompiledCheck]:
        """``sh:qualifiedMinCount`` and ``sh:qualifiedMaxCount`` of ``sh:qualifiedValueShape``."""
        focus, p = scope.focus, scope.p
        qshape = self.shapes.one(scope.shape, "qualifiedValueShape")
        cond = self.conditions.conforms(qshape, "?v", 1)
        counted = (
            f"SELECT ?f (COUNT(DISTINCT ?q) AS ?n) WHERE {{ {focus} "
            f"OPTIONAL {{ ?f {p} ?v FILTER({cond}) BIND(?v AS ?q) }} }} GROUP BY ?f"
        )
        out: list[CompiledCheck] = []
        for n in params.get("qualifiedMinCount", []):
            if int(n) == 1:  # no conforming value: a test per focus node, no grouping
                w = self.conditions.fresh()
                alias = self.conditions.conforms(qshape, w, 1)
                query = (
                    f"SELECT ?f WHERE {{ {focus} MINUS "
                    f"{{ ?f {p} ?qv BIND(?qv AS {w}) FILTER({alias}) }} }}"
                )
            else:
                query = f"SELECT ?f WHERE {{ {{ {counted} }} FILTER(?n < {int(n)}) }}"
            out.append(scope.check("QualifiedMinCountConstraintComponent", query, False))
        for n in params.get("qualifiedMaxCount", []):
            query = f"SELECT ?f WHERE {{ {{ {counted} }} FILTER(?n > {int(n)}) }}"
            out.append(scope.check("QualifiedMaxCountConstraintComponent", query, False))
        return out


def compile_shapes(shapes: Graph) -> list[CompiledCheck]:
    """The SPARQL queries of every targeted shape; raises UnsupportedShapeError."""
    return _Compiler(shapes).compile()


def _term(node: Any) -> str:
    import pyoxigraph as ox

    return node.value if isinstance(node, ox.NamedNode) else str(node)


def raw_results(store: ox.Store, shapes: Graph) -> list[RawResult]:
    """Run every compiled check against the store's default graph: the top-level
    results and, after each, none or more ``sh:detail`` results (``detail_of`` set)."""
    import pyoxigraph as ox

    compiler = _Compiler(shapes)
    checks = compiler.compile()
    graph = compiler.shapes
    results: list[RawResult] = []
    #: check -> its results by value (a check's details attach to the results whose
    #: value is their focus); a parent check always comes before its nested ones
    by_value: dict[CompiledCheck, dict[str | None, list[RawResult]]] = {}
    for check in checks:
        messages = graph.messages(check.shape)
        severity = graph.severity(check.shape)
        solutions = store.query(check.query)
        assert isinstance(solutions, ox.QuerySolutions)  # every check is a SELECT
        mine = by_value.setdefault(check, {})
        parents = by_value.get(check.parent, {}) if check.parent is not None else {}
        for row in solutions:
            focus = _term(row["f"])
            value = _term(row["v"]) if check.has_value else None
            owners: list[RawResult | None] = [None]
            if check.parent is not None:
                owners = list(parents.get(focus, []))
            for owner in owners:
                result = RawResult(
                    focus=focus,
                    path=check.path,
                    component=check.component,
                    source_shape=check.shape,
                    value=value,
                    severity=severity,
                    messages=messages,
                    detail_of=owner,
                )
                results.append(result)
                mine.setdefault(value, []).append(result)
    return results


def validate_store(
    store: ox.Store,
    shapes: Graph,
    sources: Mapping[str, tuple[str, ...]] | None = None,
) -> ValidationReport:
    """Validate the (materialized) store; the same report :func:`validate_graph` gives."""
    from rdflib import Graph as RGraph
    from rdflib import URIRef

    from kzgraph.namespaces import PREFIXES
    from kzgraph.terms import LABEL_PREDICATES, Literal, from_oxigraph, pick_label
    from kzgraph.validate import ValidationReport, Violation

    started = time.perf_counter()
    raw = raw_results(store, shapes)
    names = RGraph(bind_namespaces="none")
    for prefix, ns in shapes.namespaces():
        names.bind(prefix, ns)
    for prefix, namespace in PREFIXES.items():
        names.bind(prefix, namespace, replace=True)

    def short(iri: str | None) -> str:
        if not iri:
            return ""
        try:
            return names.namespace_manager.normalizeUri(URIRef(iri)).strip("<>")
        except Exception:  # noqa: BLE001 - rdflib raises assorted errors on odd IRIs
            return iri

    def label(iri: str) -> str:
        import pyoxigraph as ox

        if iri.startswith("_:"):
            return iri
        found = []
        for pred in LABEL_PREDICATES:
            for quad in store.quads_for_pattern(
                ox.NamedNode(iri), ox.NamedNode(pred), None, ox.DefaultGraph()
            ):
                term = from_oxigraph(quad.object)
                if isinstance(term, Literal):
                    found.append((pred, term))
        return pick_label(iri, found)

    sources = sources or {}
    labels: dict[str, str] = {}
    details: dict[RawResult, list[RawResult]] = {}
    for r in raw:
        if r.detail_of is not None:
            details.setdefault(r.detail_of, []).append(r)

    def violation(r: RawResult) -> Violation:
        if r.focus not in labels:
            literal = r.focus.startswith('"')
            labels[r.focus] = _lexical_form(r.focus) if literal else label(r.focus)
        owners = sources.get(r.focus, ())
        component = short(r.component)
        value = ""
        if r.value is not None:
            value = short(r.value) if not r.value.startswith(('"', "_:")) else r.value
        return Violation(
            file=owners[0] if owners else "",
            focus=r.focus,
            focus_label=labels[r.focus],
            path=short(r.path),
            message="; ".join(sorted(r.messages)) or component,
            severity=r.severity.removeprefix(SH),
            source_shape=short(r.source_shape),
            component=component,
            value=value,
            details=tuple(sorted(violation(d) for d in details.get(r, ()))),
        )

    violations = sorted(violation(r) for r in raw if r.detail_of is None)
    counts = Counter(v.severity for v in violations)
    _ = started
    return ValidationReport(
        conforms=counts.get("Violation", 0) == 0,
        results=tuple(violations),
        triples=len(store),
        severity_counts=dict(counts),
    )


def _lexical_form(literal: str) -> str:
    """The lexical form of a literal in N-Triples form (a detail's focus: its label)."""
    import pyoxigraph as ox

    (quad,) = ox.parse(f"<urn:s> <urn:p> {literal} .", format=ox.RdfFormat.N_TRIPLES)
    return str(quad.object.value)


def load_shapes(paths: Iterable[Path]) -> Graph:
    from kzgraph.load import load_graph

    return load_graph(list(paths)).graph


def reference_results(data: Graph, shapes: Graph) -> list[RawResult]:
    """pyshacl's results on ``data`` (inference none) as :class:`RawResult` rows, literal
    values in Oxigraph's canonical form, to compare with :func:`raw_results`."""
    import pyoxigraph as ox
    from rdflib import BNode, URIRef
    from rdflib import Literal as RLiteral

    from kzgraph.validate import pyshacl_results

    report = pyshacl_results(data, shapes)
    canon = ox.Store()

    def form(term: Any) -> str | None:
        if term is None:
            return None
        if isinstance(term, URIRef):
            return str(term)
        if isinstance(term, BNode):
            return f"_:{term}"
        assert isinstance(term, RLiteral)
        canon.clear()
        canon.load(f"<urn:s> <urn:p> {term.n3()} .".encode(), format=ox.RdfFormat.N_TRIPLES)
        return str(next(iter(canon)).object)

    def one(node: Any, name: str) -> Any:
        return report.value(node, URIRef(SH + name))

    out: list[RawResult] = []

    def add(node: Any, parent: RawResult | None) -> None:
        path = one(node, "resultPath")
        result = RawResult(
            focus=form(one(node, "focusNode")) or "",
            path=str(path) if path is not None else None,
            component=str(one(node, "sourceConstraintComponent")),
            source_shape=str(one(node, "sourceShape")),
            value=form(one(node, "value")),
            severity=str(one(node, "resultSeverity")),
            messages=tuple(
                sorted(str(m) for m in report.objects(node, URIRef(SH + "resultMessage")))
            ),
            detail_of=parent,
        )
        out.append(result)
        for detail in report.objects(node, URIRef(SH + "detail")):
            add(detail, result)

    for node in report.objects(None, URIRef(SH + "result")):
        add(node, None)
    return out
