"""The fast build's second-core work: the file scan beside the parse (``kzgraph.fast.ScanJob``),
and the on-disk store and the search index, fed file by file beside reasoning and validation
(``kzgraph.fast.StoreWriter``, ``kzgraph.search.IndexWriter``).

What they must keep: the same scan and the same errors as the scan run in the build's own
process, a one-line error when a child fails, a child that waits for each file until the
build says it is written, a store and an index that answer, children that yield the cores to
the build, and no child left running when the build is killed with ``kill -9``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kzgraph.child import NICENESS
from kzgraph.errors import CacheError, KzgraphError
from kzgraph.fast import ScanJob, StoreWriter, scan_files
from kzgraph.search import IndexWriter

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "kzgraph.ttl"
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(5000, seed=3, out=tmp_path_factory.mktemp("gen") / "data")


def _files(data: Path) -> tuple[list[Path], list[Path]]:
    data_files = sorted(data.glob("*.ttl"))
    return [ONTOLOGY, *data_files], data_files


def test_the_scan_in_a_child_equals_the_scan_here(generated: Path) -> None:
    files, data_files = _files(generated)
    here = scan_files(files, instances_only=data_files)
    job = ScanJob(files, instances_only=data_files)
    there = job.result()
    assert there.sources == here.sources and len(there.sources) > 500
    assert there.warnings == here.warnings
    # the literals the store would change, as the data wrote them
    assert vars(there.written).keys() == vars(here.written).keys()
    for name, value in vars(here.written).items():
        assert getattr(there.written, name) == value, name
    assert job.result() is there  # asked again: the same result, no second scan


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@prefix kz: <https://w3id.org/kzgraph/ontology#> .\nkz:a kz:b kz:c\n", "bad.ttl"),
        (
            "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
            "<https://w3id.org/kzgraph/resource/x> <https://w3id.org/kzgraph/ontology#on> "
            '"1994-02-30"^^xsd:date .\n',
            "1994-02-30",
        ),
    ],
    ids=["syntax", "ill-typed"],
)
def test_a_bad_file_gives_the_scans_own_error(
    generated: Path, tmp_path: Path, text: str, expected: str
) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(text, encoding="utf-8")
    files, data_files = _files(generated)
    files, data_files = [*files, bad], [*data_files, bad]
    with pytest.raises(KzgraphError) as here:
        scan_files(files, instances_only=data_files)
    with pytest.raises(KzgraphError) as there:
        ScanJob(files, instances_only=data_files).result()
    assert str(there.value) == str(here.value) and expected in str(here.value)
    assert type(there.value) is type(here.value)
    # the parse failed first: the scan is run here and raises its error
    job = ScanJob(files, instances_only=data_files)
    with pytest.raises(KzgraphError) as first:
        job.raise_first()
    assert str(first.value) == str(here.value)


def test_raise_first_returns_once_the_scan_was_delivered(generated: Path) -> None:
    files, data_files = _files(generated)
    job = ScanJob(files, instances_only=data_files)
    scan = job.result()
    job.raise_first()  # the build failed later (reasoning): nothing to raise here
    assert job.result() is scan


def test_a_scan_no_one_reads_does_not_keep_its_child_waiting(larger: Path) -> None:
    """The parent stops reading (as when it is gone): the child's send fails and the child
    ends, instead of blocking forever on a full pipe whose read end it holds itself (the
    scan of 150k triples is far more than a pipe holds)."""
    files, data_files = _files(larger)
    job = ScanJob(files, instances_only=data_files)
    job._receive.close()
    job._process.join(timeout=60)
    assert not job._process.is_alive()
    job.abort()


def test_an_index_writer_that_fails_says_why_in_one_line(tmp_path: Path) -> None:
    writer = IndexWriter(tmp_path)  # no asserted.nt or inferred.nt to index
    with pytest.raises(CacheError) as failed:
        writer.finish()
    message = str(failed.value)
    assert message == (
        f"{tmp_path}: cannot write the search index: "
        "asserted.nt and inferred.nt missing from the entry"
    )
    assert not list(tmp_path.glob(".search-*"))  # its temporary file is gone


def test_a_store_writer_waits_for_each_file_until_it_is_ready(tmp_path: Path) -> None:
    """The child is started before its files exist, as in the build; it loads each once
    told, so a file written after the start is loaded whole."""
    import pyoxigraph as ox

    first, second = tmp_path / "asserted.nt", tmp_path / "inferred.nt"
    writer = StoreWriter(tmp_path / "store", [first, second])
    try:
        time.sleep(0.5)  # the child is up and waiting; nothing exists yet
        first.write_text("<urn:a> <urn:p> <urn:b> .\n", encoding="utf-8")
        writer.ready(first)
        with open(second, "w", encoding="utf-8") as out:  # written in two steps
            out.write("<urn:b> <urn:p> <urn:c> .\n")
            out.flush()
            time.sleep(0.5)
            out.write('<urn:c> <urn:p> "d" .\n')
        writer.ready(second)
        assert writer.finish() > 0
    finally:
        writer.abort()
    store = ox.Store.read_only(str(tmp_path / "store"))
    assert sorted(str(q.object) for q in store) == ['"d"', "<urn:b>", "<urn:c>"]


def test_a_store_writer_that_fails_says_why_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "asserted.nt"
    bad.write_text("<urn:a> <urn:p> .\n", encoding="utf-8")  # no object
    writer = StoreWriter(tmp_path / "store", [bad])
    writer.ready(bad)
    with pytest.raises(CacheError) as failed:
        writer.finish()
    message = str(failed.value)
    assert message.startswith(f"{tmp_path}: cannot write the on-disk store: ")
    assert "\n" not in message and "Traceback" not in message
    # never told (the build closed its side first): a missing file is named, not waited for
    writer = StoreWriter(tmp_path / "store2", [tmp_path / "inferred.nt"])
    with pytest.raises(CacheError) as missing:
        writer.finish()
    assert "inferred.nt" in str(missing.value) and "\n" not in str(missing.value)


def test_the_store_loads_a_big_file_in_parts_and_keeps_each_blank_node_one_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fill_disk_store loads a big file in parts side by side, and Oxigraph's bulk loader
    gives the blank nodes of each load new labels: a node written in both files, or in
    two parts of one, must still be one node, as the N-Triples say."""
    import pyoxigraph as ox

    from kzgraph import fast

    monkeypatch.setattr(fast, "SPLIT_BYTES", 1)  # every file in parts
    monkeypatch.setattr(fast, "_cores", lambda: 4)
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    fillers = [f"<urn:s{i}> <urn:p> <urn:o{i}> ." for i in range(200)]
    first, second = tmp_path / "asserted.nt", tmp_path / "inferred.nt"
    first.write_text(
        "\n".join(
            [f"_:n1 {rdf_type} <urn:C> .", *fillers[:100], '<urn:s0> <urn:q> "_:n1 in a text" .']
            + ["<urn:s1> <urn:r> _:n1 ."]
        )
        + "\n",
        encoding="utf-8",
    )
    second.write_text(
        "\n".join([*fillers[100:], f"_:n1 {rdf_type} <urn:D> ."]), encoding="utf-8"
    )  # and no newline at the end
    assert len(fast.line_cuts(first, 4)) == 5  # four parts
    fast.fill_disk_store(tmp_path / "store", [first, second])
    store = ox.Store.read_only(str(tmp_path / "store"))
    expected = ox.Store()
    for path in (first, second):  # the parser keeps the files' labels
        expected.bulk_extend(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))
    assert set(map(str, store)) == set(map(str, expected)) and len(store) == 204
    (row,) = store.query(
        "SELECT (COUNT(DISTINCT ?b) AS ?nodes) (GROUP_CONCAT(STR(?c)) AS ?classes) "
        "WHERE { <urn:s1> <urn:r> ?b . ?b a ?c }"
    )
    assert int(row["nodes"].value) == 1
    assert sorted(row["classes"].value.split()) == ["urn:C", "urn:D"]


def test_a_blank_node_in_the_data_keeps_its_inferred_types_in_the_store(
    kzgraph_exe: str, tmp_path: Path
) -> None:
    """The fast build's on-disk store answers what asserted.nt and inferred.nt say of a
    blank node: its own class and the superclasses the reasoner added."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    with open(data / "persons.ttl", "a", encoding="utf-8") as out:
        out.write('\nperson:a-kara kz:memberOf [ a kz:Person ; rdfs:label "Blank Member"@en ] .\n')
    env = {**os.environ, "KZGRAPH_CACHE": str(tmp_path / "cache")}
    built = subprocess.run(
        [kzgraph_exe, "--data", str(data), "build", "--engine", "fast"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "cache built" in built.stderr, built.stderr  # it does not conform, and says so
    asked = subprocess.run(
        [kzgraph_exe, "--data", str(data), "sparql", "--format", "csv",
         'SELECT ?c WHERE { ?m rdfs:label "Blank Member"@en ; a ?c } ORDER BY ?c'],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    classes = asked.stdout.split()[1:]
    assert "https://w3id.org/kzgraph/ontology#Person" in classes
    assert "https://w3id.org/kzgraph/ontology#Agent" in classes  # inferred
    assert "http://xmlns.com/foaf/0.1/Person" in classes  # inferred


def _children(pid: int) -> set[int]:
    """The live child processes of ``pid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(pid) and not fields["State"].startswith("Z"):
            found.add(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state


def _wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


@pytest.fixture(scope="module")
def larger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # large enough that each child runs for a while (a few seconds of build in all)
    return generate(150_000, seed=5, out=tmp_path_factory.mktemp("gen150k") / "data")


def _nice(pid: int) -> int:
    """The niceness of ``pid`` (field 19 of /proc/PID/stat, after the command's ')')."""
    stat = (Path("/proc") / str(pid) / "stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


#: what a child's command line holds
_COMMANDS = {"index": "kzgraph.search import _child", "store": "kzgraph.fast import _child"}


@pytest.mark.parametrize("child", ["scan", "index", "store"])
def test_a_killed_build_leaves_no_child_running(
    child: str, larger: Path, kzgraph_exe: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    build = subprocess.Popen(
        [kzgraph_exe, "--data", str(larger), "build", "--engine", "fast"],
        env={**os.environ, "KZGRAPH_CACHE": str(cache)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        seen: set[int] = set()
        niceness: dict[int, int] = {}

        def running() -> bool:
            for pid in _children(build.pid):
                kind = next((k for k, c in _COMMANDS.items() if c in _cmdline(pid)), "scan")
                if kind == child:
                    seen.add(pid)
                    with contextlib.suppress(OSError, IndexError, ValueError):
                        niceness[pid] = _nice(pid)
            # the child at work: the index's temporary file, the store's folder exists
            working = {
                "scan": lambda: True,
                "index": lambda: any(cache.glob(".*/.search-*.tmp")),
                "store": lambda: any(cache.glob(".*/store/*")),
            }[child]()
            return (bool(seen) and working) or build.poll() is not None

        _wait_for(running, 120, f"the {child} child never started")
        assert seen, f"the build ended before its {child} child was seen"
        if child != "scan":  # on the critical path: the scan keeps the build's priority
            assert set(niceness.values()) == {_nice(build.pid) + NICENESS}, niceness
        else:
            assert set(niceness.values()) == {_nice(build.pid)}, niceness
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
        _wait_for(lambda: not any(_alive(pid) for pid in seen), 1.0, "a child outlived the build")
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    # the next build removes what the killed one left and writes a whole entry
    done = subprocess.run(
        [kzgraph_exe, "--data", str(larger), "build", "--engine", "fast"],
        env={**os.environ, "KZGRAPH_CACHE": str(cache)},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (entry,) = [p for p in cache.iterdir() if p.is_dir()]
    meta = json.loads((entry / "meta.json").read_text())
    assert meta["engine"] == "fast" and meta["seconds"]["search"] > 0
    assert (entry / "search.sqlite").is_file() and (entry / "store").is_dir()
    found = subprocess.run(
        [kzgraph_exe, "--data", str(larger), "search", "People A", "--format", "json"],
        env={**os.environ, "KZGRAPH_CACHE": str(cache)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert "https://w3id.org/kzgraph/resource/person/group-a" in found.stdout


@pytest.mark.parametrize("writer", ["oxigraph", "rdflib"])
def test_the_index_reads_the_same_from_the_lines_it_keeps(
    writer: str, generated: Path, tmp_path: Path
) -> None:
    """The index parses only the N-Triples lines it can use (kzgraph.search._WANTED); what
    it reads must be what reading every line gives, from Oxigraph's dump and rdflib's."""
    import pyoxigraph as ox
    from rdflib import Graph

    from kzgraph.search import _read

    files = [ONTOLOGY, *sorted((ROOT / "data").glob("*.ttl")), *sorted(generated.glob("*.ttl"))]
    nt = tmp_path / "all.nt"
    if writer == "oxigraph":
        store = ox.Store()
        for path in files:
            store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        store.dump(output=str(nt), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    else:
        graph = Graph()
        for path in files:
            graph.parse(path, format="turtle")
        graph.serialize(nt, format="nt", encoding="utf-8")
    kept, every = _read([nt]), _read([nt], every_line=True)
    assert kept == every
    assert len(kept.labels) > 1000 and len(kept.literals) > 1500
    assert len(kept.types) > 500 and len(kept.stated_in) > 500 and len(kept.parents) > 20
    assert "P17" in kept.locators.values()


#: N-Triples lines that the index's split (kzgraph.search._split_lines) must read as
#: Oxigraph's parser does, or hand to it: escapes, tags and datatypes, marks inside
#: literals, blank and commented lines, separators it does not take apart ({r} is a
#: resource IRI's start, {kz} {rdf} {rdfs} {skos} {xsd} the namespaces)
_AWKWARD_LINES = r"""
# a comment with > " and > <{rdf}type> <{kz}Person> .
{r}person/a> <{rdfs}label> "Ahmet \"the elder\" Aga"@en .
{r}person/a> <{skos}altLabel> "Ахмет"@KK-cyrl .
{r}person/a> <{skos}altLabel> "Ahm\u00E9t\nline two" .
{r}person/a> <{skos}altLabel> "" .
{r}person/a> <{kz}note> "x> <{rdf}type> <{kz}Treaty> ." .
{r}person/a> <{kz}note> "ends with a quote \"" .
{r}person/a> <{kz}note> "1994"^^<{xsd}gYear> .
{r}person/a> <{kz}note> "typed"^^<{xsd}string> .
{r}person/a> <{kz}note> "no space before the dot".
{r}person/a> <{kz}note> "two spaces before it"  .
{r}person/a> <{rdf}type> <{kz}Person> .
{r}person/a> <{rdf}type> <{kz}Person>.
{r}person/a> <{rdf}type> <http://xmlns.com/foaf/0.1/Person> .
{r}person/\u0062> <{rdf}type> <{kz}Person> .
{r}person/b> <{kz}statedIn> {r}paragraph/P2> .
{r}paragraph/P2> <{kz}locator> "P2" .
<{kz}Person> <{rdfs}subClassOf> <{kz}Agent> .
<{kz}Person> <{rdfs}label> "person"@en .
<http://example.org/Other> <{rdfs}subClassOf> <{kz}Agent> .
_:b1 <{rdfs}label> "blank" .
_:b1 <{rdf}type> <{kz}Person> .
 {r}person/c> <{rdfs}label> "after a space" .
 {r}person/c> <{rdfs}label> "x> <{rdf}type> <{kz}Treaty> ." .
{r}person/c> <{kz}statedIn> _:b1 .
{r}person/c> <{rdfs}label> "last line, no newline" .""".format(
    r="<https://w3id.org/kzgraph/resource/",
    kz="https://w3id.org/kzgraph/ontology#",
    rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    rdfs="http://www.w3.org/2000/01/rdf-schema#",
    skos="http://www.w3.org/2004/02/skos/core#",
    xsd="http://www.w3.org/2001/XMLSchema#",
)


@pytest.mark.parametrize(
    "layout", ["one space", "a tab in a literal", "two spaces after an IRI", "CRLF"]
)
def test_the_index_splits_awkward_lines_as_the_parser_reads_them(
    layout: str, tmp_path: Path
) -> None:
    """The index's reader takes its lines apart by their separators where each term ends in
    one space (kzgraph.search._one_space), else keeps them with a regular expression; either
    way it must read what Oxigraph's parser reads from every line."""
    from kzgraph.search import _one_space, _read

    text = _AWKWARD_LINES.lstrip("\n")
    if layout == "a tab in a literal":
        text += '\n<https://w3id.org/kzgraph/resource/person/d> <urn:x:label> "tab\there" .'
    elif layout == "two spaces after an IRI":
        text += '\n<https://w3id.org/kzgraph/resource/person/d>  <urn:x:label> "d" .'
    elif layout == "CRLF":
        text = text.replace("\n", "\r\n")
    nt = tmp_path / "awkward.nt"
    nt.write_bytes(text.encode("utf-8"))
    assert _one_space(nt.read_bytes()) == (layout == "one space")
    kept, every = _read([nt]), _read([nt], every_line=True)
    assert kept == every
    person = "https://w3id.org/kzgraph/resource/person/"
    assert (person + "a", 'Ahmet "the elder" Aga', "en") in kept.literals
    assert (person + "a", "Ахмет", "kk-Cyrl") in kept.literals
    assert (person + "a", "Ahmét\nline two", None) in kept.literals
    assert (person + "c", "last line, no newline", None) in kept.literals
    assert kept.types[person + "b"] == {"https://w3id.org/kzgraph/ontology#Person"}
    assert kept.locators == {"https://w3id.org/kzgraph/resource/paragraph/P2": "P2"}
    assert set(kept.parents) == {"https://w3id.org/kzgraph/ontology#Person"}


@pytest.mark.parametrize("reverse", [False, True])
def test_the_index_names_a_value_by_the_same_property_whatever_the_line_order(
    reverse: bool, tmp_path: Path
) -> None:
    """A value held under several properties gets one index row, which names one of them:
    an asserted one before an inferred copy, and within a file the weightiest, then the
    first IRI, however the file orders its lines (the fast path's files are in Oxigraph's
    dump order, the reference path's sorted: their indexes named different properties
    for 348 bundled labels before)."""
    from kzgraph.search import _read

    r, skos = "https://w3id.org/kzgraph/resource/person/", "http://www.w3.org/2004/02/skos/core#"
    rdfs, kz = "http://www.w3.org/2000/01/rdf-schema#", "https://w3id.org/kzgraph/ontology#"
    asserted = [
        f'<{r}a> <{skos}prefLabel> "Ahmet"@en .',
        f'<{r}a> <{rdfs}label> "Ahmet"@en .',
        f'<{r}a> <{kz}note> "Ahmet"@en .',
        f'<{r}b> <{kz}note> "Bolat" .',
    ]
    inferred = [
        f'<{r}b> <{rdfs}label> "Bolat" .',  # weightier, but a copy of an asserted value
        f'<{r}c> <{kz}note> "Chokan" .',
        f'<{r}c> <{skos}altLabel> "Chokan" .',
    ]
    files = []
    for name, lines in (("asserted.nt", asserted), ("inferred.nt", inferred)):
        path = tmp_path / name
        path.write_text("\n".join(reversed(lines) if reverse else lines) + "\n", encoding="utf-8")
        files.append(path)
    literals = _read(files).literals
    assert literals[(r + "a", "Ahmet", "en")] == rdfs + "label"  # weight 4, before skos
    assert literals[(r + "b", "Bolat", None)] == kz + "note"
    assert literals[(r + "c", "Chokan", None)] == skos + "altLabel"
