"""The w3id.org redirect rules (publish/w3id/.htaccess): every kind of kzgraph IRI goes
where publish/w3id/README.md says, with content negotiation, and lands on an answer.

Apache is not installed here, so the rules are applied by a small interpreter of the
mod_rewrite subset the file uses (RewriteCond on %{HTTP_ACCEPT} with [NC], RewriteRule
with R=, L, QSA; per-directory paths without the leading ``kzgraph/``), with Python's
``re`` for the patterns: these patterns use only what PCRE and ``re`` read alike.  Any
other directive or flag fails the parse, so the file cannot drift outside what is tested.
Last, each target is fetched from a real ``kzgraph serve`` on 127.0.0.1.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kzgraph.metadata import read_metadata
from kzgraph.void import DUMP_FORMATS
from test_discovery import project, server  # noqa: F401 - fixtures: a real kzgraph serve
from test_serve import Server

ROOT = Path(__file__).resolve().parent.parent
HTACCESS = ROOT / "publish" / "w3id" / ".htaccess"
STATIC = ROOT / "publish" / "w3id" / "static.htaccess"
FILES = "https://files.example.org/kzgraph"
TARGET = "https://kzgraph.example.org"
BASE = "https://w3id.org/kzgraph/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SYNTAXES = {
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "xmlrdf",
    "application/n-triples": "nt",
}


@dataclass(frozen=True)
class Cond:
    pattern: re.Pattern[str]
    negated: bool


@dataclass(frozen=True)
class Rule:
    conds: tuple[Cond, ...]
    pattern: re.Pattern[str]
    target: str
    status: int
    qsa: bool


def parse(text: str, name: str = ".htaccess") -> list[Rule]:
    rules: list[Rule] = []
    conds: list[Cond] = []
    engine = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        where = f"{name}:{number}"
        if words == ["Options", "+FollowSymLinks"]:
            continue
        if words == ["RewriteEngine", "on"]:
            engine = True
            continue
        flags = words[-1][1:-1].split(",") if words[-1].startswith("[") else []
        if words[0] == "RewriteCond":
            assert words[1] == "%{HTTP_ACCEPT}" and len(words) == 4, where
            assert flags == ["NC"], f"{where}: only [NC] is interpreted"
            negated = words[2].startswith("!")
            conds.append(Cond(re.compile(words[2].lstrip("!"), re.I), negated))
        elif words[0] == "RewriteRule":
            assert len(words) == 4, where
            known = {f for f in flags if f in ("L", "QSA")}
            status = [int(f[2:]) for f in flags if re.fullmatch(r"R=\d{3}", f)]
            assert set(flags) == known | {f"R={s}" for s in status} and "L" in known, where
            assert len(status) == 1 and status[0] in (302, 303, 307), where
            assert "%" not in words[2], f"{where}: %N back-references are not interpreted"
            rules.append(
                Rule(tuple(conds), re.compile(words[1]), words[2], status[0], "QSA" in known)
            )
            conds = []
        else:
            raise AssertionError(f"{where}: directive not interpreted: {words[0]}")
    assert engine and not conds, "RewriteEngine on, and no RewriteCond left without a rule"
    return rules


def substitute(target: str, match: re.Match[str]) -> str:
    """``target`` with $N replaced by the rule's groups (an unmatched group: empty)."""
    groups = ("", *match.groups(default=""))
    return re.sub(r"\$(\d)", lambda m: groups[int(m.group(1))], target)


def apply(rules: list[Rule], path: str, accept: str, query: str = "") -> tuple[int, str] | None:
    """(status, Location) of a request for https://w3id.org/kzgraph/<path>, or None (404)."""
    for rule in rules:
        match = rule.pattern.search(path)
        if match is None:
            continue
        if not all(bool(c.pattern.search(accept)) != c.negated for c in rule.conds):
            continue
        target = substitute(rule.target, match)
        if query:
            target += ("&" + query if rule.qsa else "") if "?" in target else "?" + query
        return rule.status, target
    return None


@pytest.fixture(scope="module")
def rules() -> list[Rule]:
    return parse(HTACCESS.read_text(encoding="utf-8"))


def test_the_file_parses_into_rules(rules: list[Rule]) -> None:
    assert len(rules) == 14


def ontology_version() -> str:
    store = ox.Store()
    store.load(path=ROOT / "ontology" / "kzgraph.ttl", format=ox.RdfFormat.TURTLE)
    (quad,) = store.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/2002/07/owl#versionIRI"), None
    )
    return quad.object.value


THINGS = ["resource/state/kazakhstan", "dataset", "catalog", "graph/asserted", "graph/void"]


@pytest.mark.parametrize("path", THINGS)
@pytest.mark.parametrize("media", list(SYNTAXES))
def test_thing_iris_are_303_to_the_document_in_the_asked_syntax(
    rules: list[Rule], path: str, media: str
) -> None:
    assert apply(rules, path, media) == (303, f"{TARGET}/{path}?format={SYNTAXES[media]}")
    weighted = f"{media};q=0.9, application/json;q=0.1"
    assert apply(rules, path, weighted) == (303, f"{TARGET}/{path}?format={SYNTAXES[media]}")


@pytest.mark.parametrize("path", THINGS)
@pytest.mark.parametrize("accept", [BROWSER, "*/*", "", "text/html;q=0.5, text/turtle"])
def test_browsers_and_mixed_accepts_go_to_the_server_to_negotiate(
    rules: list[Rule], path: str, accept: str
) -> None:
    assert apply(rules, path, accept) == (303, f"{TARGET}/{path}")


def test_the_versions_the_project_uses(rules: list[Rule]) -> None:
    version = ontology_version().removeprefix(BASE)
    assert re.fullmatch(r"ontology/\d+\.\d+\.\d+", version)
    assert apply(rules, version, "text/turtle") == (302, f"{TARGET}/{version}?format=turtle")
    assert apply(rules, version, BROWSER) == (302, f"{TARGET}/{version}")
    assert apply(rules, "ontology", "application/rdf+xml") == (
        302,
        f"{TARGET}/ontology?format=xmlrdf",
    )
    dataset = read_metadata(ROOT / "data").version_iri().removeprefix(BASE)
    assert apply(rules, dataset, "application/ld+json") == (
        303,
        f"{TARGET}/{dataset}?format=jsonld",
    )


def test_endpoint_landing_page_description_and_dumps(rules: list[Rule]) -> None:
    assert apply(rules, "", BROWSER) == (302, f"{TARGET}/")
    assert apply(rules, "sparql", "*/*", "query=ASK%7B%7D") == (
        307,
        f"{TARGET}/sparql?query=ASK%7B%7D",
    )
    assert apply(rules, ".well-known/void", "text/turtle") == (302, f"{TARGET}/.well-known/void")
    assert apply(rules, "dump/kzgraph.nt", "*/*") == (302, f"{TARGET}/dump/kzgraph.nt")
    assert apply(rules, "resource/state/kazakhstan", "text/turtle", "lang=tr") == (
        303,
        f"{TARGET}/resource/state/kazakhstan?format=turtle&lang=tr",
    )


@pytest.mark.parametrize(
    "path", ["resource/state", "resource/state/a/b", "graph/other", "dataset/1", "nothing", "dump/"]
)
def test_other_paths_are_not_redirected(rules: list[Rule], path: str) -> None:
    assert apply(rules, path, "text/turtle") is None


def data_iris() -> set[str]:
    """Every IRI under the base that the data and the ontology use, without fragments."""
    store = ox.Store()
    for path in [*sorted((ROOT / "data").glob("*.ttl")), ROOT / "ontology" / "kzgraph.ttl"]:
        store.load(path=path, format=ox.RdfFormat.TURTLE)
    found = set()
    for quad in store:
        for term in (quad.subject, quad.predicate, quad.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(BASE):
                found.add(term.value.split("#")[0])
    return found


def test_every_iri_the_data_uses_is_redirected(rules: list[Rule]) -> None:
    iris = data_iris()
    assert len(iris) > 200
    # the SPARQL functions' namespace (kzf:) names functions, not pages: no redirect
    missing = sorted(
        iri
        for iri in iris
        if iri != BASE + "function" and apply(rules, iri.removeprefix(BASE), "text/turtle") is None
    )
    assert missing == []


# ---- the targets, on a real kzgraph serve


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:  # noqa: F811 - server: the fixture
    with httpx.Client(base_url=server.base, timeout=30) as c:
        yield c


LANDINGS = [
    "resource/person/nazarbayev",
    "resource/state/kazakhstan",
    "dataset",
    "dataset/2.1.0",
    "catalog",
    "graph/asserted",
    "graph/inferred",
    "graph/void",
    "ontology",
    "ontology/9.9.9",
]


@pytest.mark.parametrize("path", LANDINGS)
@pytest.mark.parametrize("media", [*SYNTAXES, BROWSER])
def test_every_target_answers_on_kzgraph_serve(
    rules: list[Rule], client: httpx.Client, path: str, media: str
) -> None:
    found = apply(rules, path, media)
    assert found is not None
    location = found[1].removeprefix(TARGET)
    r = client.get(location, headers={"accept": media}, follow_redirects=True)
    assert r.status_code == 200, (location, r.text)
    expected = media if media in SYNTAXES else "text/html"
    assert r.headers["content-type"].split(";")[0] == expected


def test_sparql_and_dump_targets_answer(rules: list[Rule], client: httpx.Client) -> None:
    found = apply(rules, "sparql", "application/sparql-results+json", "query=ASK%7B%7D")
    assert found is not None
    r = client.get(
        found[1].removeprefix(TARGET), headers={"accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200 and r.json()["boolean"] is True
    found = apply(rules, "dump/kzgraph.nt", "*/*")
    assert found is not None
    assert client.get(found[1].removeprefix(TARGET)).status_code == 200


# ---- the static variant (publish/w3id/static.htaccess)


@pytest.fixture(scope="module")
def static_rules() -> list[Rule]:
    return parse(STATIC.read_text(encoding="utf-8"), STATIC.name)


@pytest.mark.parametrize("path", [*THINGS, "dataset/1.0.0", "graph/inferred"])
@pytest.mark.parametrize("fmt", ["turtle", "jsonld", "xml", "nt"])
def test_static_things_go_to_the_dump_export_writes(
    static_rules: list[Rule], path: str, fmt: str
) -> None:
    file_name, media = DUMP_FORMATS[fmt][0], DUMP_FORMATS[fmt][1]
    assert apply(static_rules, path, media) == (303, f"{FILES}/dump/{file_name}")
    assert apply(static_rules, path, BROWSER) == (303, f"{FILES}/")
    assert apply(static_rules, path, f"text/html;q=0.1, {media}") == (303, f"{FILES}/")


def test_static_ontology_dumps_and_what_a_folder_cannot_answer(static_rules: list[Rule]) -> None:
    version = ontology_version().removeprefix(BASE)
    for path in ("ontology", version):
        for media in SYNTAXES:
            assert apply(static_rules, path, media) == (302, f"{FILES}/ontology/kzgraph.ttl")
        assert apply(static_rules, path, BROWSER) == (302, f"{FILES}/")
    assert apply(static_rules, "", BROWSER) == (302, f"{FILES}/")
    assert apply(static_rules, "dump/kzgraph.ttl", "*/*") == (302, f"{FILES}/dump/kzgraph.ttl")
    assert apply(static_rules, "sparql", "*/*") is None  # a folder has no SPARQL endpoint
    missing = sorted(
        iri
        for iri in data_iris()
        if iri != BASE + "function"
        and apply(static_rules, iri.removeprefix(BASE), "text/turtle") is None
    )
    assert missing == []


def test_the_readmes_sed_line_points_the_rules_at_a_server(tmp_path: Path) -> None:
    readme = (ROOT / "publish" / "w3id" / "README.md").read_text(encoding="utf-8")
    (command,) = re.findall(r"`(sed -i .+? \.htaccess)`", readme)
    (tmp_path / ".htaccess").write_text(HTACCESS.read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True, timeout=30)
    rules = parse((tmp_path / ".htaccess").read_text(encoding="utf-8"))
    assert "kzgraph.example.org" not in (tmp_path / ".htaccess").read_text(encoding="utf-8")
    assert apply(rules, "resource/state/kazakhstan", "text/turtle") == (
        303,
        "https://data.example.net/resource/state/kazakhstan?format=turtle",
    )
