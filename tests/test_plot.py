"""kzgraph.plot and ``kzgraph plot``: the pictures hold what the saved queries return.

The SVG is read back: every mark is a ``<g class="kz-event ...">`` (or kz-node,
kz-edge, kz-figure) with ``data-iri``, a ``<title>`` tooltip and a link, so the
tests count marks against query rows and look at their classes and geometry.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kzgraph import plot, store
from kzgraph.cli import cli
from kzgraph.errors import EmptyPlotError, PlotError, TermNotFoundError
from kzgraph.project import Project
from kzgraph.query import Engine, open_engine, run_saved

ROOT = Path(__file__).parent.parent
R = "https://w3id.org/kzgraph/resource/"
TREATY = R + "document/friendship-treaty-1994"
NAKHCHIVAN = R + "event/turkic-summit-2009-nakhchivan"


@pytest.fixture(scope="module")
def engine() -> Engine:
    project = Project.locate(data=ROOT / "data", ontology=ROOT / "ontology")
    return open_engine(store.build(project).entry)


@pytest.fixture(scope="module")
def timeline_svg(engine: Engine) -> str:
    return plot.timeline_svg(engine)


@pytest.fixture(scope="module")
def treaty_network(engine: Engine) -> plot.Network:
    return plot.network_data(engine, "document:friendship-treaty-1994", 1)


def marks(svg: str, css: str) -> list[tuple[str, str, str]]:
    """(class, data-iri, group body) of every group whose class list has ``css``."""
    found = []
    for m in re.finditer(r'<g id="kz-[a-z]+-\d+" class="([^"]*)"(?: data-iri="([^"]*)")?>', svg):
        if css in m.group(1).split():
            end = svg.find("</g>", m.end())
            found.append((m.group(1), m.group(2) or "", svg[m.end() : end]))
    return found


def x_extent(body: str) -> float:
    """Width of the path drawn in a mark group (from its 'M x y L x y' data)."""
    d = re.search(r'<path d="([^"]+)"', body)
    assert d, body[:300]
    xs = [float(x) for x, _y in re.findall(r"(-?[\d.]+) (-?[\d.]+)", d.group(1))]
    return max(xs) - min(xs)


def timeline_rows(engine: Engine, *params: tuple[str, str]) -> list[str]:
    query = plot.plot_queries()["timeline"]
    result = run_saved(engine, query, (("readings", "all"), *params))
    i = result.variables.index("item")
    return [row[i].value for row in result.rows]


# --------------------------------------------------------------------------- timeline


def test_one_mark_per_row_of_the_timeline_query(engine: Engine, timeline_svg: str) -> None:
    rows = timeline_rows(engine)
    events = marks(timeline_svg, "kz-event")
    assert len(rows) == 56  # the golden count of tests/golden/timeline.csv
    assert len(events) == len(rows)
    assert sorted(iri for _c, iri, _b in events) == sorted(rows)


def test_known_events_are_labelled(timeline_svg: str) -> None:
    # tooltips carry the full label, the visible text a compact date
    assert "<title>Treaty of Friendship and Cooperation (1994)\n17 Oct 1994" in timeline_svg
    assert "IX Summit of the Turkic-speaking states, Nakhchivan, 3 October 2009" in timeline_svg
    assert ">Treaty of Friendship and Cooperation, 17 Oct 1994</text>" in timeline_svg
    assert ">IX Summit of the Turkic-speaking states, Nakhchivan, 3 Oct 2009</text>" in timeline_svg
    assert f'xlink:href="{TREATY}"' in timeline_svg


def test_a_span_of_days_is_shown_whole(engine: Engine, timeline_svg: str) -> None:
    # Nazarbayev's visit of 16-18 October 1994 [P17]; the 1940-1950 migration [P22]
    items = {i.iri: i for i in plot.timeline_data(engine).items}
    visit = items[R + "event/nazarbayev-visit-1994-10"]
    assert visit.date == "1994-10-16/1994-10-18"
    assert (visit.when, visit.short_when) == ("16–18 Oct 1994", "16–18 Oct 1994")
    migration = items[R + "event/kazakh-migration-to-turkey"]
    assert migration.when == "1940–1950 (1 Jan 1940 – 31 Dec 1950)"
    assert "October 1994\n16–18 Oct 1994\n" in timeline_svg


def test_month_and_year_dates_are_spans(engine: Engine, timeline_svg: str) -> None:
    data = plot.timeline_data(engine)
    shapes = {i.iri: i.shape for i in data.items}
    assert shapes[R + "event/nazarbayev-visit-1992-10"] == "span"  # October 1992 [P4]
    assert shapes[R + "event/direct-flights-1995"] == "span"  # mid-1995 [P18]
    assert shapes[TREATY] == "point"  # 17 October 1994 [P17]
    assert shapes[R + "event/recognition-by-turkey"] == "open"  # undated, after 16 Dec 1991
    by_iri = {iri: (css, body) for css, iri, body in marks(timeline_svg, "kz-event")}
    for iri in (R + "event/nazarbayev-visit-1992-10", R + "event/direct-flights-1995"):
        css, body = by_iri[iri]
        assert "kz-span" in css.split()
        assert x_extent(body) > 0
    # a year is about twelve times as wide as a month
    month = x_extent(by_iri[R + "event/nazarbayev-visit-1992-10"][1])
    year = x_extent(by_iri[R + "event/direct-flights-1995"][1])
    assert 8 < year / month < 16
    assert "kz-point" in by_iri[TREATY][0].split()


def test_conflicting_claims_are_marked_and_linked(engine: Engine, timeline_svg: str) -> None:
    by_iri = {iri: css.split() for css, iri, _b in marks(timeline_svg, "kz-event")}
    first_visits = [R + f"event/nazarbayev-visit-{d}" for d in ("1991-09", "1992-10", "1994-10")]
    for iri in first_visits:  # conflict:nazarbayev-first-visit-to-turkey [P4, P16, P18]
        assert "kz-conflict" in by_iri[iri], iri
    assert "kz-conflict" in by_iri[TREATY]  # who signed it [P17, P18]
    assert "kz-conflict" not in by_iri[NAKHCHIVAN]
    data = plot.timeline_data(engine)
    assert (first_visits[1], first_visits[2]) in data.links
    links = marks(timeline_svg, "kz-conflict-link")
    assert len(links) == len(data.links) >= 5
    assert any("conflicts with" in body for _c, _i, body in links)


def test_years_before_1991_are_behind_an_axis_break(engine: Engine, timeline_svg: str) -> None:
    iris = {iri for _c, iri, _b in marks(timeline_svg, "kz-event")}
    assert R + "event/kazakh-migration-to-turkey" in iris  # 1940-1950 [P22]
    assert "Years before 1991 are compressed" in timeline_svg


def test_a_period_keeps_only_its_items_and_notes_cut_ones(engine: Engine) -> None:
    svg = plot.timeline_svg(engine, "1991-06-01", "1992-12-31")
    rows = timeline_rows(engine, ("from", "1991-06-01"), ("to", "1992-12-31"))
    assert sorted(iri for _c, iri, _b in marks(svg, "kz-event")) == sorted(rows)
    assert R + "event/ussr-dissolution-1991" in rows  # 1991: runs past 1 June 1991
    assert "cut at its edge" in svg
    assert "compressed" not in svg


def test_an_empty_period_is_an_error_with_the_dates(engine: Engine) -> None:
    # before the first bound of any item: the 1940-1950 migration [P22]; a later period is
    # never empty, because an item bounded only from below may fall in it
    with pytest.raises(EmptyPlotError, match="no events between 1920-01-01 and 1930-12-31"):
        plot.timeline_svg(engine, "1920-01-01", "1930-12-31")
    later = {i.iri: i.shape for i in plot.timeline_data(engine, "2030-01-01", "2031-01-01").items}
    assert later and set(later.values()) == {"open"}
    assert EmptyPlotError.exit_code == 1
    with pytest.raises(PlotError, match="is after"):
        plot.timeline_data(engine, "1995-01-01", "1994-01-01")


def test_timeline_of_one_entity(engine: Engine) -> None:
    data = plot.timeline_data(engine, focus=R + "person/tansu-ciller")
    assert {i.iri for i in data.items} == {TREATY}  # she signed the treaty [P18]
    svg = plot.timeline_svg(engine, focus="Süleyman Demirel")
    iris = {iri for _c, iri, _b in marks(svg, "kz-event")}
    assert {TREATY, R + "event/demirel-visit-1992-04-29"} <= iris
    assert "Timeline of Süleyman Demirel" in svg


# --------------------------------------------------------------------------- network


def test_network_around_the_treaty(engine: Engine, treaty_network: plot.Network) -> None:
    expected = {
        R + "person/nursultan-nazarbayev",
        R + "person/suleyman-demirel",
        R + "person/tansu-ciller",
        R + "state/turkey",
        R + "state/kazakhstan",
        R + "place/ankara",
        R + "event/nazarbayev-visit-1994-10",
        TREATY,
    }
    assert set(treaty_network.nodes) == expected
    edges = {(e.source, e.relation, e.target) for e in treaty_network.edges}
    assert (R + "person/nursultan-nazarbayev", "signed", TREATY) in edges
    assert (R + "person/suleyman-demirel", "signed", TREATY) in edges
    assert (R + "state/turkey", "party to", TREATY) in edges
    assert (R + "state/kazakhstan", "party to", TREATY) in edges
    assert (TREATY, "at", R + "place/ankara") in edges
    svg = plot.network_svg(engine, "document:friendship-treaty-1994")
    nodes = marks(svg, "kz-node")
    assert sorted(iri for _c, iri, _b in nodes) == sorted(expected)
    assert len(marks(svg, "kz-edge")) == len({(e.source, e.target) for e in treaty_network.edges})
    for name in ("Nursultan Nazarbayev", "Süleyman Demirel", "Turkey", "Kazakhstan", "Ankara"):
        assert f">{name}</text>" in svg, name
    assert ">signed</text>" in svg and ">party to</text>" in svg  # labelled edges


def test_network_depth_and_labels(engine: Engine, treaty_network: plot.Network) -> None:
    deeper = plot.network_data(engine, TREATY, 2)
    assert set(treaty_network.nodes) < set(deeper.nodes)
    by_label = plot.network_data(engine, "Treaty of Friendship and Cooperation (1994)")
    assert by_label.nodes == treaty_network.nodes
    with pytest.raises(TermNotFoundError):
        plot.network_data(engine, "no such thing at all")
    with pytest.raises(PlotError, match="depth"):
        plot.network_data(engine, TREATY, 0)


def test_full_network_draws_every_edge_of_the_query(engine: Engine) -> None:
    query = plot.plot_queries()["network-edges"]
    result = run_saved(engine, query)
    data = plot.network_data(engine)
    assert len(data.edges) == len(result.rows)
    svg = plot.to_svg(plot.draw_network(data))
    assert len(marks(svg, "kz-node")) == len(data.nodes) > 100


# --------------------------------------------------------------------------- figures


def test_figures_marks_targets_bounds_and_sources(engine: Engine) -> None:
    data = plot.figures_data(engine)
    svg = plot.figures_svg(engine)
    figures = marks(svg, "kz-figure")
    assert sorted(iri for _c, iri, _b in figures) == sorted(f.iri for f in data)
    assert len(figures) == 13
    classes = {iri: css.split() for css, iri, _b in figures}
    assert "kz-target" in classes[R + "figure/trade-turnover-target-2010"]  # [P21]
    assert "kz-actual" in classes[R + "figure/trade-turnover-2007"]
    assert "kz-lowerbound" in classes[R + "figure/turkish-companies-1995"]  # more than 150 [P18]
    assert "kz-upperbound" in classes[R + "figure/kazakhs-in-turkey-1990s"]  # at most 20,000 [P25]
    assert "target US$5 bn [P21]" in svg
    assert "&gt; 150 [P18]" in svg
    assert "Republic of Kazakhstan (2021) [P25]" in svg  # the citation of the population figure
    assert "Agency for Strategic... (2021) [P26]" in svg


# --------------------------------------------------------------------------- output


def test_formats_by_extension(engine: Engine, tmp_path: Path) -> None:
    picture = plot.timeline_figure(engine, "1994-01-01", "1994-12-31")
    png = plot.save(picture, tmp_path / "t.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "t.png").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    svg = plot.save(picture, tmp_path / "t.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg
    page = plot.save(picture, tmp_path / "t.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and "<title>" in page and 'xlink:href="https://w3id.org/' in page
    assert "<script" not in page and "<link" not in page and " src=" not in page
    assert plot.save(svg, tmp_path / "again.svg").read_text(encoding="utf-8") == svg
    with pytest.raises(PlotError, match=r"cannot write '\.pdf'"):
        plot.save(picture, tmp_path / "t.pdf")
    assert not (tmp_path / "t.pdf").exists()


def test_output_is_deterministic(engine: Engine) -> None:
    assert plot.timeline_svg(engine) == plot.timeline_svg(engine)
    assert plot.network_svg(engine, TREATY) == plot.network_svg(engine, TREATY)
    assert plot.figures_svg(engine) == plot.figures_svg(engine)
    picture = plot.network_figure(engine)
    assert plot.render(picture, "png") == plot.render(plot.network_figure(engine), "png")


def test_inline_svg_for_pages(engine: Engine) -> None:
    inline = plot.inline_svg(plot.network_svg(engine, TREATY))
    assert inline.startswith("<svg") and 'width="100%"' in inline
    assert "<?xml" not in inline and "DOCTYPE" not in inline


# --------------------------------------------------------------------------- CLI


def test_cli_writes_each_format(runner: CliRunner, tmp_path: Path) -> None:
    for name, magic in (("t.png", b"\x89PNG"), ("t.svg", b"<?xml"), ("t.html", b"<!DOCTYPE")):
        out = tmp_path / name
        result = runner.invoke(cli, ["plot", "timeline", "--from", "1994-01-01", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(magic)
        assert "wrote" in result.stderr


def test_cli_svg_to_stdout_is_deterministic(runner: CliRunner) -> None:
    args = ["plot", "network", "--focus", "document:friendship-treaty-1994"]
    first, second = runner.invoke(cli, args), runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("<?xml") and "Nursultan Nazarbayev" in first.stdout
    assert first.stdout_bytes == second.stdout_bytes
    figures = runner.invoke(cli, ["plot", "figures"])
    assert figures.exit_code == 0 and 'class="kz-figure' in figures.stdout


def test_cli_empty_period_says_so_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "empty.png"
    args = ["plot", "timeline", "--from", "1920-01-01", "--to", "1930-12-31", "-o", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no events between 1920-01-01 and 1930-12-31"
    assert result.stdout == ""
    assert not out.exists()


def test_cli_unknown_extension_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "t.pdf"
    result = runner.invoke(cli, ["plot", "timeline", "-o", str(out)])
    assert result.exit_code == 2
    assert "cannot write '.pdf'; use a file ending in .svg, .png, .html" in result.stderr
    assert not out.exists()


def test_cli_unknown_focus_and_bad_date(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["plot", "network", "--focus", "no such thing at all"])
    assert result.exit_code == 2 and "no resource matches" in result.stderr
    result = runner.invoke(cli, ["plot", "timeline", "--from", "1994-13-01"])
    assert result.exit_code == 2 and "expects a date" in result.stderr


def test_help_does_not_import_matplotlib() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from kzgraph.cli import cli\n"
        "r = CliRunner().invoke(cli, ['plot', '--help'])\n"
        "assert r.exit_code == 0 and 'timeline' in r.output, r.output\n"
        "assert 'matplotlib' not in sys.modules and 'networkx' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
