"""What ``kzgraph export`` (and ``kzgraph publish``) send out: the graph with its blank
nodes skolemised, optionally its description, optionally with the resource IRIs moved to a
publisher's own base.

:func:`export_graphs` returns graph name -> triples for
:func:`kzgraph.render.render_rdf`, which sorts them, so the output is deterministic:
the description holds counts, the dumps' sizes and checksums and the dates of the
metadata file, never the time of the run.

Blank nodes become IRIs under ``https://w3id.org/kzgraph/genid/`` (RDF 1.1 *skolem
IRIs*), named after the cache's canonical labels, so the same input gives the same IRIs
and a store that is sent the graph twice keeps one copy of every triple.

``--base``: every IRI that starts with ``https://w3id.org/kzgraph/resource/`` is
rewritten to start with the given base instead (and VoID's ``void:uriSpace`` says so);
ontology IRIs (``https://w3id.org/kzgraph/ontology#...``), the dataset's IRI and every
other vocabulary stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kzgraph.errors import ExportError
from kzgraph.namespaces import BASE, PREFIXES, RESOURCE_BASE
from kzgraph.terms import IRI, BNode, Literal, Term, valid_iri

if TYPE_CHECKING:
    from kzgraph.metadata import Metadata

VOID_URI_SPACE = "http://rdfs.org/ns/void#uriSpace"
#: where skolemised blank nodes live (RDF 1.1 Concepts, 3.5 Replacing Blank Nodes with IRIs)
SKOLEM_BASE = BASE + "genid/"

Triple = tuple[Term, Term, Term]


def check_base(base: str) -> str:
    """``base`` if it is an absolute http(s) IRI ending with ``/`` or ``#``, else ExportError."""
    if not re.match(r"^https?://[^/?#\s]+", base) or not valid_iri(base):
        raise ExportError(f"--base must be an absolute http(s) IRI, got {base!r}")
    if not base.endswith(("/", "#")):
        raise ExportError(f"--base must end with '/' or '#', got {base!r}")
    return base


def rebase_iri(iri: str, base: str | None) -> str:
    """``iri`` moved to ``base`` if it is a resource IRI (under RESOURCE_BASE); else as is."""
    if base is not None and iri.startswith(RESOURCE_BASE):
        return base + iri[len(RESOURCE_BASE) :]
    return iri


def rebase_query(text: str, base: str | None) -> str:
    """A query's text with the resource namespace (its PREFIX lines, full IRIs) moved to
    ``base``: the query then asks a store that holds the rebased export."""
    return text if base is None else text.replace(RESOURCE_BASE, base)


def _rebase_term(term: Term, base: str) -> Term:
    if isinstance(term, IRI):
        moved = rebase_iri(term.value, base)
        return IRI(moved) if moved != term.value else term
    return term


def rebase(triples: Iterable[Triple], base: str) -> list[Triple]:
    """The triples with resource IRIs moved from RESOURCE_BASE to ``base``."""
    out: list[Triple] = []
    for s, p, o in triples:
        if (
            isinstance(p, IRI)
            and p.value == VOID_URI_SPACE
            and isinstance(o, Literal)
            and o.value == RESOURCE_BASE
        ):
            o = Literal(base, o.datatype, o.language)
        out.append((_rebase_term(s, base), p, _rebase_term(o, base)))
    return out


#: the file of a rebased entry folder that names its resource base (kzgraph.search reads it)
RESOURCE_BASE_FILE = "resource-base"


def rebased_entry(entry_dir: Path, base: str) -> Path:
    """A folder beside the cache entry's files holding its ``asserted.nt`` and
    ``inferred.nt`` with the resource IRIs moved to ``base`` (line by line, by
    :func:`rebase_lines`: memory stays flat at any size), and the base in
    ``resource-base``: what ``kzgraph serve --base`` serves and ``kzgraph publish --base``
    sends.  Written once per base through a temporary folder renamed into place; reused
    while the entry lives."""
    import hashlib
    import shutil
    import tempfile

    check_base(base)
    target = entry_dir / "rebased" / hashlib.sha256(base.encode()).hexdigest()[:16]
    if (target / RESOURCE_BASE_FILE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".rebased-", dir=target.parent))
    try:
        for name in ("asserted.nt", "inferred.nt"):
            with open(tmp / name, "wb") as out:
                for block in line_blocks(entry_dir / name):
                    out.write(rebase_lines(block, base))
        (tmp / RESOURCE_BASE_FILE).write_text(base + "\n", encoding="utf-8")
        tmp.chmod(0o755)
        try:
            tmp.rename(target)
        except OSError:  # written meanwhile by another process
            if not (target / RESOURCE_BASE_FILE).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def line_blocks(path: Path, size: int = 1 << 22) -> Iterator[bytes]:
    """The file's bytes in blocks of whole lines, about ``size`` bytes each; a last line
    without its newline is given one."""
    rest = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(size):
            cut = chunk.rfind(b"\n") + 1
            if not cut:
                rest += chunk
                continue
            yield rest + chunk[:cut]
            rest = chunk[cut:]
    if rest:
        yield rest + b"\n"


# A cache file (asserted.nt, inferred.nt) has one triple per line, its terms separated by
# one space, as both build paths write it: a subject starts its line and an object ends it
# before " .".  A literal's text can hold anything, so the object patterns below match a
# term only where no literal can end: an IRI has no '"', '<', '>' or space in it.
_BLANK_SUBJECT = re.compile(rb"(?m)^_:([^\s\"<>]+) ")
_BLANK_OBJECT = re.compile(rb"(?m) _:([^\s\"<>]+) \.$")
_RESOURCE_SUBJECT = re.compile(rb"(?m)^<" + re.escape(RESOURCE_BASE.encode()))
_RESOURCE_OBJECT = re.compile(
    rb"(?m) <" + re.escape(RESOURCE_BASE.encode()) + rb"([^\s\"<>]*> \.)$"
)


def skolemise_lines(block: bytes) -> bytes:
    """Whole lines of a cache file with every blank node written as its skolem IRI: the
    lines of :func:`skolemise`'s triples, without reading them into terms (publish
    streams the cache files through it)."""
    if b"_:" not in block:
        return block
    skolem = SKOLEM_BASE.encode()
    block = _BLANK_SUBJECT.sub(lambda m: b"<" + skolem + m.group(1) + b"> ", block)
    return _BLANK_OBJECT.sub(lambda m: b" <" + skolem + m.group(1) + b"> .", block)


def blank_lines(block: bytes) -> int:
    """How many of a cache file's lines (``block``) have a blank node."""
    if b"_:" not in block:
        return 0
    return sum(
        1
        for line in block.split(b"\n")
        if b"_:" in line and (_BLANK_SUBJECT.match(line) or _BLANK_OBJECT.search(line))
    )


def rebase_lines(block: bytes, base: str) -> bytes:
    """Whole lines of a cache file with the resource IRIs of subjects and objects moved
    to ``base``: the lines of :func:`rebase`'s triples (a predicate, a datatype and a
    literal's text stay as they are)."""
    new = base.encode()
    block = _RESOURCE_SUBJECT.sub(lambda m: b"<" + new, block)
    return _RESOURCE_OBJECT.sub(lambda m: b" <" + new + m.group(1), block)


def skolemise(triples: Iterable[Triple]) -> list[Triple]:
    """The triples with every blank node replaced by its skolem IRI (same label, same IRI)."""

    def term(t: Term) -> Term:
        return IRI(SKOLEM_BASE + t.value) if isinstance(t, BNode) else t

    return [(term(s), p, term(o)) for s, p, o in triples]


def export_prefixes(base: str | None) -> dict[str, str]:
    """The prefixes an export is written with: the project's, moved to ``base``."""
    if base is None:
        return dict(PREFIXES)
    return {
        k: (base + v[len(RESOURCE_BASE) :] if v.startswith(RESOURCE_BASE) else v)
        for k, v in PREFIXES.items()
    }


def export_graphs(
    entry: Any,
    *,
    inferred: bool = False,
    with_void: bool = False,
    base: str | None = None,
    named: bool = False,
    meta: Metadata | None = None,
) -> dict[str | None, list[Triple]]:
    """Graph name -> triples of a cache entry (``kzgraph.store.CacheEntry``).

    ``named``: use the named graphs (asserted, inferred, void) for N-Quads and TriG;
    otherwise the keys only keep the parts apart (formats without graphs merge them).
    ``with_void``: add the description, whose distributions are the dumps of the other
    graphs in every export format.  ``meta``: the dataset's metadata (its ``base`` names
    the graphs, ``<base>graph/asserted``...; the description's facts).
    """
    from kzgraph.engine import OxigraphEngine

    if base is not None:
        check_base(base)
    files: list[Path] = [entry.asserted_path] + ([entry.inferred_path] if inferred else [])
    from kzgraph.metadata import read_metadata

    meta = meta or read_metadata(None)
    name = {part: f"{meta.base}graph/{part}" for part in ("asserted", "inferred", "void")}
    graphs: dict[str | None, list[Triple]] = {name["asserted"]: _read_ntriples(entry.asserted_path)}
    if inferred:
        graphs[name["inferred"]] = _read_ntriples(entry.inferred_path)
    graphs = {name: skolemise(triples) for name, triples in graphs.items()}
    if base is not None:
        graphs = {name: rebase(triples, base) for name, triples in graphs.items()}
    if with_void:
        void = description(
            OxigraphEngine(files),
            meta,
            dumps=dumps(graphs, export_prefixes(base), meta),
            resource_base=base or RESOURCE_BASE,
        )
        graphs[name["void"]] = void
    if named:
        return graphs
    plain = {name["asserted"]: None, name["inferred"]: "inferred", name["void"]: "void"}
    return {plain[graph]: triples for graph, triples in graphs.items() if graph is not None}


def dumps(
    graphs: dict[str | None, list[Triple]], prefixes: dict[str, str], meta: Metadata | None
) -> list[Any]:
    """The dump of ``graphs`` in every export format: URL (under the metadata's
    ``downloads``), size and SHA-256 of the bytes ``kzgraph export -f FORMAT`` writes."""
    import hashlib

    from kzgraph.metadata import read_metadata
    from kzgraph.render import render_rdf
    from kzgraph.void import DUMP_FORMATS, Dump

    meta = meta or read_metadata(None)
    out = []
    for fmt, (file_name, *_rest) in DUMP_FORMATS.items():
        content = render_rdf(graphs, fmt, prefixes)
        digest = hashlib.sha256(content).hexdigest()
        out.append(Dump(fmt, meta.downloads + file_name, len(content), digest))
    return out


def _read_ntriples(path: Path) -> list[Triple]:
    """The triples of a cache file, every literal as the file writes it: blank nodes
    labelled as in the file (both build paths write canonical labels), language tags in
    the file's case.  Not through a store: ``Store.load`` gives every blank node a fresh
    random label (the export changed on every run) and rewrites typed values in
    canonical form; and pyoxigraph's terms lower-case every language tag, so a tag is
    read back from the end of its line (the cache holds one triple per line)."""
    import pyoxigraph as ox

    from kzgraph.terms import from_oxigraph

    data = path.read_bytes()
    lines = (
        line for line in data.split(b"\n") if line.strip() and not line.lstrip().startswith(b"#")
    )
    out: list[Triple] = []
    for line, q in zip(lines, ox.parse(data, format=ox.RdfFormat.N_TRIPLES), strict=True):
        obj = from_oxigraph(q.object)
        if isinstance(obj, Literal) and obj.language is not None:
            tag = _TAG_AT_END.search(line)
            assert tag is not None and tag.group(1).lower() == obj.language.encode()
            obj = Literal(obj.value, language=tag.group(1).decode())
        out.append((from_oxigraph(q.subject), from_oxigraph(q.predicate), obj))
    return out


#: the language tag that ends an N-Triples line (``"..."@kk-Cyrl .``)
_TAG_AT_END = re.compile(rb'"@([A-Za-z]+(?:-[A-Za-z0-9]+)*)\s*\.\s*$')


def description(
    engine: Any,
    meta: Metadata | None = None,
    *,
    dumps: Any = (),
    resource_base: str = RESOURCE_BASE,
) -> list[Triple]:
    """The description (VoID + DCAT-AP 3) of the graph ``engine`` holds."""
    from kzgraph.void import dataset_stats, void_triples

    return void_triples(dataset_stats(engine), meta, dumps=dumps, resource_base=resource_base)
