"""kzgraph.docs and ``kzgraph docs``: what the pages say, escaping, and how the folder is written.

Content is checked against the ontology graph and the saved-query catalog of the
repository: every class, property and concept scheme of the kz: namespace has its
anchor and label, and every saved question its title and, when it returns rows with
its defaults, at least one example row.  Every Markdown guide of docs/ has its page with
its headings, and every link and picture of every page leads to a written file and anchor.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef

from kzgraph.cli import cli
from kzgraph.docs import MARKER, DocTerm, heading_anchor, ontology_doc, render_guide
from kzgraph.namespaces import ONTOLOGY
from kzgraph.project import Project
from kzgraph.query import load_catalog, open_engine, run_saved
from kzgraph.store import build

ROOT = Path(__file__).parent.parent
PROJECT = Project(ROOT / "data", ROOT / "ontology", ROOT / "queries")
GUIDES = sorted((ROOT / "docs").glob("*.md"))
PICTURES = sorted(p.name for p in (ROOT / "docs" / "img").glob("*.png"))
ARGS = ["--data", str(ROOT / "data"), "--ontology", str(ROOT / "ontology")]
ARGS += ["--queries", str(ROOT / "queries")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "site"
    result = CliRunner().invoke(cli, [*ARGS, "docs", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    pages = 3 + len(GUIDES)
    assert f"wrote {pages} pages and {len(PICTURES)} pictures to" in result.stderr
    return out


@pytest.fixture(scope="module")
def ontology() -> Graph:
    graph = Graph()
    for path in PROJECT.ontology_files():
        graph.parse(path)
    return graph


def section(page: str, anchor: str) -> str:
    """The HTML of the <section id=anchor> element."""
    m = re.search(rf'<section id="{re.escape(anchor)}"[^>]*>(.*?)</section>', page, re.S)
    assert m, f"no section #{anchor}"
    return m.group(1)


def test_the_site_has_its_pages(site: Path) -> None:
    guides = [g.stem + ".html" for g in GUIDES if g.name != "README.md"]
    assert sorted(p.name for p in site.iterdir()) == sorted(
        [MARKER, "index.html", "ontology.html", "queries.html", "guides.html", "img", *guides]
    )
    assert sorted(p.name for p in (site / "img").iterdir()) == PICTURES
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="ontology.html"' in index and 'href="queries.html"' in index
    assert 'href="guides.html"' in index


EXPECTED_GUIDES = {
    "cli": ["Using the command line", "Command reference", "Full-text search", "Ask in plain"],
    "data-model": ["Provenance", "Statement-level sources", "Conflicting claims", "Adding a fact"],
    "sparql-cookbook": ["Saved questions by theme", "Writing your own", "Extension functions"],
    "serving-and-publishing": ["Serving", "Clients, graphs and cut answers", "Publishing",
                               "The dataset description (DCAT-AP 3)", "Releases and"],
    "pictures": ["Pictures"],
    "performance": ["Speed", "Endpoint performance, next to Oxigraph", "Scale"],
    "reliability": ["Reliability"],
    "contributing": ["The architecture: how the data flows", "Where each kind of thing lives",
                     "Running the checks and the tests", "Examples in the documentation are tests"],
    "guides": ["kzgraph documentation"],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED_GUIDES))
def test_each_guide_has_its_page_and_headings(site: Path, name: str) -> None:
    page = (site / f"{name}.html").read_text(encoding="utf-8")
    headings = [
        html.unescape(re.sub(r"<[^>]+>", "", h))
        for h in re.findall(r'<h[1-4] id="[^"]+">(.*?)</h[1-4]>', page, re.S)
    ]
    for wanted in EXPECTED_GUIDES[name]:
        assert any(h.startswith(wanted) for h in headings), (wanted, headings)
    assert '<div class="guide">' in page and 'href="guides.html"' in page  # the site's frame


def test_every_link_and_picture_resolves(site: Path) -> None:
    """Every relative href and src of every page names a written file, and its #anchor an id
    on that page; links between guides were rewritten from .md to .html."""
    ids = {
        p.name: set(re.findall(r'\bid="([^"]+)"', p.read_text(encoding="utf-8")))
        for p in site.glob("*.html")
    }
    checked = 0
    for page in site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r'\b(?:href|src)="([^"]+)"', text):
            target = html.unescape(target)
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            assert ".md" not in target, (page.name, target)
            path, _, anchor = target.partition("#")
            name = path or page.name
            assert (site / name).is_file(), (page.name, target)
            if anchor and name.endswith(".html"):
                assert anchor in ids[name], (page.name, target)
            checked += 1
    assert checked > 200


def test_guide_links_become_page_links() -> None:
    guide = render_guide(
        "x.md", "# T\n\nSee [the cache](cli.md#the-cache), [index](README.md), "
        "[home](../README.md) and ![a](img/a.png).\n\n## Names & `dates`\n<b>raw</b>\n"
    )  # fmt: skip
    assert guide.title == "T" and guide.images == ("img/a.png",)
    assert 'href="cli.html#the-cache"' in guide.body and 'href="guides.html"' in guide.body
    assert 'href="index.html"' in guide.body
    assert '<h2 id="names--dates">' in guide.body
    assert "<b>raw</b>" not in guide.body and "&lt;b&gt;raw&lt;/b&gt;" in guide.body
    assert (
        heading_anchor("Dataset metadata: `data/dataset.toml`")
        == "dataset-metadata-datadatasettoml"
    )


@pytest.mark.parametrize(
    "kind", [OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, SKOS.ConceptScheme]
)
def test_every_term_has_its_anchor_and_label(site: Path, ontology: Graph, kind: object) -> None:
    page = (site / "ontology.html").read_text(encoding="utf-8")
    terms = sorted(str(s) for s in ontology.subjects(RDF.type, kind) if str(s).startswith(ONTOLOGY))
    assert len(terms) >= 5
    for iri in terms:
        local = iri[len(ONTOLOGY) :]
        labels = [
            str(o)
            for p in (RDFS.label, SKOS.prefLabel)
            for o in ontology.objects(URIRef(iri), p)
            if getattr(o, "language", None) in (None, "en")
        ]
        block = section(page, local)
        assert html.escape(iri) in block
        assert labels, f"{iri} has no English label"
        assert any(f">{html.escape(label)}</a>" in block for label in labels), iri
        assert f'href="#{local}"' in page  # linked from the hierarchy or the lists


def test_properties_show_domain_range_inverse_and_characteristics(site: Path) -> None:
    page = (site / "ontology.html").read_text(encoding="utf-8")
    located = section(page, "locatedIn")
    assert "<dt>Characteristics</dt><dd>Transitive</dd>" in located
    contains = section(page, "contains")
    assert "<dt>Inverse of</dt>" in contains and 'href="#locatedIn"' in contains
    holder = section(page, "holder")
    assert "<dt>Domain</dt>" in holder and "<dt>Range</dt>" in holder
    assert "Functional" in holder


def test_class_hierarchy_nests_subclasses(site: Path) -> None:
    page = (site / "ontology.html").read_text(encoding="utf-8")
    tree = page[page.index('id="hierarchy"') : page.index('id="classes"')]
    summit = tree.index('href="#Summit"')
    meeting = tree.rindex('href="#Meeting"', 0, summit)
    assert "<ul" in tree[meeting:summit]  # Summit is listed inside Meeting's children


def test_every_saved_question_appears_with_an_example(site: Path) -> None:
    page = (site / "queries.html").read_text(encoding="utf-8")
    engine = open_engine(build(PROJECT).entry)
    catalog = load_catalog(PROJECT.queries_dir)
    with_rows = 0
    for q in catalog.values():
        block = section(page, q.name)
        assert html.escape(q.title) in block
        given = [(p.name, p.example) for p in q.params if p.default is None and p.example]
        rows = run_saved(engine, q, given).rows
        if rows:
            with_rows += 1
            assert '<tr class="row">' in block, q.name
            assert f"of {len(rows)} rows" in block or f"{len(rows)} row" in block
        else:
            assert "No rows" in block
    assert with_rows >= len(catalog) - 3


def test_pages_are_self_contained(site: Path) -> None:
    for page in site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text
        assert not re.search(r"<link[^>]+stylesheet", text)
        assert not re.search(r'\bsrc="https?:', text)
        assert "<style>" in text


def test_text_is_escaped(copied_project: Project, tmp_path: Path) -> None:
    evil = "<script>alert('x')</script> & co"
    (copied_project.queries_dir / "evil.rq").write_text(
        f'#+ title: "{evil}"\n#+ description: a <b>bold</b> claim\n'
        "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 1\n",
        encoding="utf-8",
    )
    out = tmp_path / "site"
    args = ["--data", str(copied_project.data_dir), "--ontology", str(copied_project.ontology_dir)]
    args += ["--queries", str(copied_project.queries_dir), "docs", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    page = (out / "queries.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "<b>bold" not in page
    assert html.escape(evil) in page and "a &lt;b&gt;bold&lt;/b&gt; claim" in page


def test_folder_rules(fx_args: list[str], tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    refused = runner.invoke(cli, [*fx_args, "docs", "-o", str(target)])
    assert refused.exit_code == 2 and "Traceback" not in refused.stderr
    assert "not an earlier 'kzgraph docs' output" in refused.stderr.splitlines()[0]
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]  # untouched

    forced = runner.invoke(cli, [*fx_args, "docs", "-o", str(target), "--force"])
    assert forced.exit_code == 0, forced.stderr
    assert not (target / "notes.txt").exists()
    first = {str(p): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert len(first) > 10

    again = runner.invoke(cli, [*fx_args, "docs", "-o", str(target)])  # own output: replaced
    assert again.exit_code == 0, again.stderr
    assert {str(p): p.read_bytes() for p in target.rglob("*") if p.is_file()} == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folders left

    a_file = tmp_path / "file.html"
    a_file.write_text("x", encoding="utf-8")
    not_dir = runner.invoke(cli, [*fx_args, "docs", "-o", str(a_file)])
    assert not_dir.exit_code == 2 and "Error:" in not_dir.stderr


def test_ontology_doc_reads_terms(ontology: Graph) -> None:
    doc = ontology_doc(ontology)
    by_anchor: dict[str, DocTerm] = {t.anchor: t for t in doc.terms}
    assert by_anchor["Summit"].kind == "class"
    assert ("Subclass of", (ONTOLOGY + "Meeting",)) in by_anchor["Summit"].relations
    assert by_anchor["locatedIn"].characteristics == ("TransitiveProperty",)
    schemes = [t for t in doc.terms if t.kind == "concept scheme"]
    assert schemes and all(t.members for t in schemes)
    assert doc.concepts and doc.title.startswith("kzgraph")


def test_help_has_examples() -> None:
    result = CliRunner().invoke(cli, ["docs", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "kzgraph docs -o site/" in result.stdout


BASE = "https://data.example.org/kz/"


@pytest.fixture(scope="module")
def rebased_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs-base") / "site"
    result = CliRunner().invoke(cli, [*ARGS, "docs", "-o", str(out), "--base", BASE])
    assert result.exit_code == 0, result.stderr
    return out


def test_base_moves_the_resource_iris_of_the_questions_page(site: Path, rebased_site: Path) -> None:
    plain = (site / "queries.html").read_text(encoding="utf-8")
    page = (rebased_site / "queries.html").read_text(encoding="utf-8")
    resource = "https://w3id.org/kzgraph/resource/"
    assert resource in plain  # the plain pages do show resource IRIs
    assert resource not in page
    # the same page with the namespace moved: SPARQL prefixes, links, titles
    assert page == plain.replace(resource, BASE)
    # the ontology's IRIs stay where they are
    assert "https://w3id.org/kzgraph/ontology#" in page
    assert f'href="{BASE}state/kazakhstan"' in page
    for name in ("ontology.html", "index.html"):
        assert (rebased_site / name).read_bytes() == (site / name).read_bytes()


def test_base_comes_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = CliRunner(env={"KZGRAPH_BASE": BASE}).invoke(cli, [*ARGS, "docs", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    page = (out / "queries.html").read_text(encoding="utf-8")
    assert f"PREFIX document: &lt;{BASE}document/&gt;" in page
    assert "https://w3id.org/kzgraph/resource/" not in page


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ("ftp://data.example.org/kz/", "absolute http(s) IRI"),
        ("https://data.example.org/kz", "must end with '/' or '#'"),
    ],
)
def test_a_bad_base_is_refused_before_anything_is_written(
    tmp_path: Path, base: str, message: str
) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, [*ARGS, "docs", "-o", str(out), "--base", base])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
