"""The network picture: persons, states, documents, institutions, events and places, linked.

Drawn from the catalog query ``network-edges``.  The layout is a spring layout with a
fixed seed and sorted input, so the same graph gives the same picture; labels are
placed greedily, the most linked nodes first, and left out where they would overlap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kzgraph.errors import EmptyPlotError, PlotError
from kzgraph.plot.output import to_svg
from kzgraph.plot.shared import (
    LOCK,
    NODE_KINDS,
    NOTE_GREY,
    RC,
    RELATION_COLOURS,
    UNKNOWN_COLOUR,
    Picture,
    node_label,
    overlap,
    plot_queries,
    query_rows,
    resolve_focus,
    text_of,
    text_width,
)
from kzgraph.query import Engine, SavedQuery

SEED = 20240917  # network layout

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points
Point = tuple[float, float]


@dataclass(frozen=True)
class Edge:
    source: str
    relation: str
    target: str


@dataclass(frozen=True)
class Network:
    nodes: dict[str, tuple[str, str]]  # iri -> (label, kind)
    edges: tuple[Edge, ...]
    focus: str | None = None
    depth: int = 0


# --------------------------------------------------------------------------- data


def all_edges(engine: Engine, queries: Mapping[str, SavedQuery]) -> Network:
    """The whole network: every row of ``network-edges``."""
    nodes: dict[str, tuple[str, str]] = {}
    edges = []
    for r in query_rows(engine, queries, "network-edges"):
        s, t, rel = text_of(r, "source"), text_of(r, "target"), text_of(r, "relation")
        if not (s and t and rel):
            continue
        nodes[s] = (text_of(r, "sourceLabel") or s, text_of(r, "sourceKind") or "event")
        nodes[t] = (text_of(r, "targetLabel") or t, text_of(r, "targetKind") or "event")
        edges.append(Edge(s, rel, t))
    return Network(nodes, tuple(sorted(set(edges), key=lambda e: (e.source, e.relation, e.target))))


def neighbours(net: Network, start: str, depth: int) -> set[str]:
    """The nodes at most ``depth`` steps from ``start`` (``start`` left out)."""
    adjacent: dict[str, set[str]] = defaultdict(set)
    for e in net.edges:
        adjacent[e.source].add(e.target)
        adjacent[e.target].add(e.source)
    seen, frontier = {start}, {start}
    for _ in range(depth):
        frontier = {n for f in frontier for n in adjacent[f]} - seen
        seen |= frontier
    return seen - {start}


def network_data(
    engine: Engine,
    focus: str | None = None,
    depth: int = 1,
    *,
    queries: Mapping[str, SavedQuery] | None = None,
) -> Network:
    """Nodes and edges of the network picture (the rows of ``network-edges``)."""
    if depth < 1:
        raise PlotError(f"--depth must be 1 or more, got {depth}")
    net = all_edges(engine, queries or plot_queries())
    if not net.edges:
        raise EmptyPlotError("the graph has no relations to draw")
    if focus is None:
        return net
    iri = resolve_focus(engine, focus)
    keep = neighbours(net, iri, depth) | {iri}
    if len(keep) == 1:
        label = engine.labels([iri])[iri]
        raise EmptyPlotError(f"{label} <{iri}> has no relations in the network")
    edges = tuple(e for e in net.edges if e.source in keep and e.target in keep)
    nodes = {n: net.nodes[n] for n in sorted(keep)}
    return Network(nodes, edges, iri, depth)


def network_figure(
    engine: Engine,
    focus: str | None = None,
    depth: int = 1,
    *,
    queries: Mapping[str, SavedQuery] | None = None,
) -> Picture:
    """Persons, states, documents, institutions, events and places with their relations."""
    data = network_data(engine, focus, depth, queries=queries)
    if data.focus:
        title = (
            f"Network around {data.nodes[data.focus][0]} "
            f"({data.depth} step{'s' if data.depth > 1 else ''})"
        )
    else:
        title = "Kazakhstan–Turkey relations: who is linked to what"
    return draw_network(data, title=title)


def network_svg(
    engine: Engine,
    focus: str | None = None,
    depth: int = 1,
    *,
    queries: Mapping[str, SavedQuery] | None = None,
) -> str:
    """The network (or the neighbourhood of ``focus`` up to ``depth`` steps) as SVG text."""
    return to_svg(network_figure(engine, focus, depth, queries=queries))


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Canvas:
    """Where everything goes: node centres in points inside the axes, and the page size."""

    small: bool  # few nodes: bigger marks and relation labels on the edges
    width: float  # inches
    height: float
    margin_x: float  # fraction of the width
    axes_box: tuple[float, float, float, float]  # left, bottom, width, height (fractions)
    w_pt: float  # the axes' size in points
    h_pt: float
    pts: dict[str, Point]
    degree: dict[str, int]


def _canvas(data: Network) -> _Canvas:
    """The layout of ``data`` scaled to a page big enough for its size."""
    import networkx as nx

    small = len(data.nodes) <= 45
    graph = nx.Graph()
    graph.add_nodes_from(sorted(data.nodes))
    degree_all: dict[str, int] = defaultdict(int)
    for e in data.edges:
        degree_all[e.source] += 1
        degree_all[e.target] += 1
    for e in data.edges:  # hubs (the two states) pull less, so the rest can spread
        hub = max(degree_all[e.source], degree_all[e.target])
        graph.add_edge(e.source, e.target, weight=1.0 if hub < 15 else 0.12)
    pos = _layout(graph, data.focus)
    pos = {k: (float(v[0]), float(v[1])) for k, v in pos.items()}
    width, height = (12.0, 9.0) if small else (22.0, 17.0)
    margin_x = 0.05
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys), max(ys)
    span_x = (x_hi - x_lo) or 1.0
    span_y = (y_hi - y_lo) or 1.0
    x_lo, y_lo = x_lo - 0.03 * span_x, y_lo - 0.03 * span_y  # room for the outermost nodes
    span_x, span_y = span_x * 1.06, span_y * 1.06
    axes_box = (margin_x, 1.25 / height, 1 - 2 * margin_x, 1 - 1.25 / height - 1.0 / height)
    w_pt = axes_box[2] * width * 72
    h_pt = axes_box[3] * height * 72

    def to_pt(p: Point) -> Point:
        return ((p[0] - x_lo) / span_x * w_pt, (p[1] - y_lo) / span_y * h_pt)

    pts = {k: to_pt(v) for k, v in pos.items()}
    degree = dict(graph.degree())
    return _Canvas(small, width, height, margin_x, axes_box, w_pt, h_pt, pts, degree)


def _layout(graph: Any, focus: str | None) -> dict[str, Point]:
    """Spring layout (fixed seed) of the largest component in the unit square; the
    smaller components in a column of small cells at its right."""
    import networkx as nx

    components = sorted(
        (sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0])
    )
    pos: dict[str, Point] = {}
    cell = 0.16
    per_column = max(1, int(1 / cell))
    for index, nodes in enumerate(components):
        unit = _unit_layout(graph.subgraph(nodes), nodes, focus)
        if index == 0:
            pos.update(unit)
            continue
        column, row = divmod(index - 1, per_column)
        x0, y0 = 1.1 + column * cell * 1.6, 1 - (row + 1) * cell
        size = cell * 0.55
        pos.update({k: (x0 + p[0] * size, y0 + p[1] * size) for k, p in unit.items()})
    return pos


def _unit_layout(sub: Any, nodes: list[str], focus: str | None) -> dict[str, Point]:
    """One connected component laid out in the unit square (aspect kept)."""
    import networkx as nx

    n = len(nodes)
    if n == 1:
        raw = {nodes[0]: (0.5, 0.5)}
    elif n == 2:
        raw = {nodes[0]: (0.0, 0.5), nodes[1]: (1.0, 0.5)}
    else:
        start = nx.circular_layout(nodes)
        fixed = None
        if focus in sub:
            start[focus] = (0.0, 0.0)
            fixed = [focus]
        raw = nx.spring_layout(
            sub,
            pos=start,
            k=2.2 / math.sqrt(n),
            iterations=500,
            seed=SEED,
            fixed=fixed,
            weight="weight",
        )
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    return {
        k: ((float(p[0]) - min(xs)) / span, (float(p[1]) - min(ys)) / span) for k, p in raw.items()
    }


# --------------------------------------------------------------------------- drawing


def draw_network(data: Network, *, title: str = "Network") -> Picture:
    """The network picture of ``data``: edges, nodes, labels that do not overlap, keys."""
    import matplotlib
    from matplotlib.figure import Figure

    canvas = _canvas(data)
    with LOCK, matplotlib.rc_context(RC):
        fig = Figure(figsize=(canvas.width, canvas.height), dpi=72)
        ax = fig.add_axes(canvas.axes_box)
        ax.set_xlim(0, canvas.w_pt)
        ax.set_ylim(0, canvas.h_pt)
        ax.set_axis_off()
        fig.text(canvas.margin_x, 1 - 0.03, title, fontsize=13, fontweight="bold", va="top")
        picture = Picture(fig, title)
        node_size = {
            k: (7.5 if canvas.small else 5.5)
            + 1.3 * math.sqrt(canvas.degree.get(k, 0)) * (1.4 if k == data.focus else 1)
            for k in data.nodes
        }
        occupied: list[Box] = []
        for k, (x, y) in canvas.pts.items():  # labels may not cover nodes
            r = node_size[k] / 2 + 1
            occupied.append((x - r, y - r, x + r, y + r))
        edge_labels = _draw_edges(ax, picture, data, canvas, node_size)
        _draw_nodes(ax, picture, data, canvas, node_size)
        skipped = _draw_node_labels(ax, picture, data, canvas, node_size, occupied)
        _draw_edge_labels(ax, edge_labels, occupied)
        _draw_network_keys(fig, data, canvas, skipped)
    return picture


def _draw_edges(
    ax: Any, picture: Picture, data: Network, canvas: _Canvas, node_size: Mapping[str, float]
) -> list[tuple[float, float, str, str]]:
    """One arrow per pair (parallel relations share it); the relation labels to place."""
    from matplotlib.patches import FancyArrowPatch

    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for e in data.edges:
        grouped[(e.source, e.target)].append(e.relation)
    pts = canvas.pts
    edge_labels = []
    for n_edge, ((s, t), rels) in enumerate(sorted(grouped.items())):
        rel_text = ", ".join(sorted(set(rels)))
        colour = RELATION_COLOURS.get(sorted(rels)[0], UNKNOWN_COLOUR)
        tip = f"{data.nodes[s][0]} — {rel_text} → {data.nodes[t][0]}"
        ax.add_patch(
            FancyArrowPatch(
                pts[s],
                pts[t],
                arrowstyle="-|>",
                mutation_scale=7,
                color=colour,
                lw=0.9 if canvas.small else 0.6,
                alpha=0.85,
                zorder=1,
                shrinkA=node_size[s] / 2 + 1,
                shrinkB=node_size[t] / 2 + 1,
                gid=picture.mark(f"kz-edge-{n_edge}", "kz-edge", tip),
            )
        )
        if canvas.small:
            (xa, ya), (xb, yb) = pts[s], pts[t]
            edge_labels.append(((xa + xb) / 2, (ya + yb) / 2, rel_text, colour))
    return edge_labels


def _draw_nodes(
    ax: Any, picture: Picture, data: Network, canvas: _Canvas, node_size: Mapping[str, float]
) -> None:
    """A dot per node, coloured by kind, sized by its links; the focus ringed in black."""
    from matplotlib.lines import Line2D

    kinds = {k: (name, colour) for k, name, colour in NODE_KINDS}
    for n_node, k in enumerate(sorted(data.nodes)):
        label, kind = data.nodes[k]
        name, colour = kinds.get(kind, ("Other", UNKNOWN_COLOUR))
        x, y = canvas.pts[k]
        tip = f"{label}\n{name} · {canvas.degree.get(k, 0)} link(s)\n{k}"
        ax.add_line(
            Line2D(
                [x],
                [y],
                marker="o",
                markersize=node_size[k],
                linestyle="none",
                markerfacecolor=colour,
                markeredgecolor="black" if k == data.focus else "white",
                markeredgewidth=1.6 if k == data.focus else 0.8,
                zorder=3,
                gid=picture.mark(f"kz-node-{n_node}", f"kz-node kz-{kind}", tip, k),
                url=k,
            )
        )


def _draw_node_labels(
    ax: Any,
    picture: Picture,
    data: Network,
    canvas: _Canvas,
    node_size: Mapping[str, float],
    occupied: list[Box],
) -> int:
    """Greedy labels, no overlaps, the most linked nodes first; how many were left out."""
    font = 8.0 if canvas.small else 7.0
    index = {k: i for i, k in enumerate(sorted(data.nodes))}
    order = sorted(data.nodes, key=lambda k: (k != data.focus, -canvas.degree.get(k, 0), k))
    skipped = 0
    for k in order:
        label = node_label(data.nodes[k][0], 48 if canvas.small else 44)
        best = _label_place(label, font, canvas, canvas.pts[k], node_size[k] / 2 + 2, occupied)
        if best is None:
            skipped += 1
            continue
        cx, cy, ha, va, box = best
        occupied.append(box)
        h = font * 1.15
        ty = cy + h / 2 if va == "center" else cy if va == "bottom" else cy + h
        ax.text(
            cx,
            ty,
            label,
            ha=ha,
            va=va,
            fontsize=font,
            zorder=4,
            fontweight="bold" if k == data.focus else "normal",
            gid=picture.mark(f"kz-nodelabel-{index[k]}", "kz-label", data.nodes[k][0], k),
            url=k,
        )
    return skipped


def _label_place(
    label: str, font: float, canvas: _Canvas, centre: Point, r: float, occupied: list[Box]
) -> tuple[float, float, str, str, Box] | None:
    """The first of eight places around a node where ``label`` fits, free and on the page."""
    w = text_width(label, font)
    h = font * 1.15
    x, y = centre
    candidates = [
        (x + r, y - h / 2, "left", "center"),
        (x - r, y - h / 2, "right", "center"),
        (x, y + r, "center", "bottom"),
        (x, y - r - h, "center", "top"),
        (x + r, y + r * 0.6, "left", "bottom"),
        (x - r, y + r * 0.6, "right", "bottom"),
        (x + r, y - r * 0.6 - h, "left", "top"),
        (x - r, y - r * 0.6 - h, "right", "top"),
    ]
    for cx, cy, ha, va in candidates:
        x0 = cx if ha == "left" else cx - w if ha == "right" else cx - w / 2
        box = (x0, cy, x0 + w, cy + h)
        inside = (
            box[0] >= -30
            and box[2] <= canvas.w_pt + 30
            and box[1] >= -10
            and box[3] <= canvas.h_pt + 10
        )
        if inside and not any(overlap(box, o) for o in occupied):
            return (cx, cy, ha, va, box)
    return None


def _draw_edge_labels(
    ax: Any, edge_labels: list[tuple[float, float, str, str]], occupied: list[Box]
) -> None:
    """Relation names at the middle of their edges, where they cover nothing."""
    for x, y, text, _colour in edge_labels:
        w = text_width(text, 6.5)
        box = (x - w / 2 - 1, y - 4.5, x + w / 2 + 1, y + 4.5)
        if any(overlap(box, o) for o in occupied):
            continue
        occupied.append(box)
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=6.5,
            color=NOTE_GREY,
            zorder=2,
            bbox={
                "boxstyle": "round,pad=0.1",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.85,
            },
        )


def _draw_network_keys(fig: Any, data: Network, canvas: _Canvas, skipped: int) -> None:
    """The legends of node kinds and relations, and the counts under the title."""
    from matplotlib.lines import Line2D

    used_kinds = {kind for _l, kind in data.nodes.values()}
    node_handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            markersize=8,
            markerfacecolor=colour,
            markeredgecolor="white",
            label=name,
        )
        for key, name, colour in NODE_KINDS
        if key in used_kinds
    ]
    used_rel = sorted({e.relation for e in data.edges})
    rel_handles = [
        Line2D([], [], color=RELATION_COLOURS.get(r, UNKNOWN_COLOUR), lw=2, label=r)
        for r in used_rel
    ]
    fig.legend(
        handles=node_handles,
        loc="lower left",
        ncol=len(node_handles),
        frameon=False,
        fontsize=9,
        bbox_to_anchor=(canvas.margin_x, 0.5 / canvas.height),
        title="Nodes",
        title_fontsize=9,
        alignment="left",
    )
    fig.legend(
        handles=rel_handles,
        loc="lower left",
        ncol=len(rel_handles),
        frameon=False,
        fontsize=8,
        bbox_to_anchor=(canvas.margin_x, 0.0),
        title="Relations (arrow from subject to object)",
        title_fontsize=9,
        alignment="left",
    )
    note = f"{len(data.nodes)} nodes, {len(data.edges)} relations (saved query 'network-edges')"
    if skipped:
        note += f"; {skipped} labels left out where they would overlap (hover a node for its name)"
    fig.text(
        canvas.margin_x,
        1 - 0.03 - 0.3 / canvas.height * 1.6,
        note,
        fontsize=8,
        color=NOTE_GREY,
        va="top",
    )
