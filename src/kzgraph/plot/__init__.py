"""Pictures of the graph: a timeline, a network and the figures over time.

Every picture is drawn from saved queries, never from hard-coded lists:

- timeline: the catalog query ``timeline`` (items and dates; ``readings=all`` so that
  deprecated readings are drawn, faded) plus ``plots/timeline-lanes`` (the lane of each
  item) and ``plots/conflict-links`` (conflicting claims);
- network: the catalog query ``network-edges``;
- figures: the catalog query ``figures-over-time``.

The ``plots/`` queries are plumbing that only the pictures need, so they are kept out
of the catalog (``load_catalog`` reads the top folder only).

Each ``*_figure`` function returns a :class:`Picture` (a matplotlib Figure plus the
tooltips and links of its marks); ``*_svg`` returns SVG text; :func:`save` writes a
Picture or SVG text by file extension (.svg, .png, .html).

One module per picture (:mod:`~kzgraph.plot.timeline`, :mod:`~kzgraph.plot.network`,
:mod:`~kzgraph.plot.figures`); what they share (the Picture, colours, matplotlib's
settings, the rows of a query, text fitting) is in :mod:`~kzgraph.plot.shared`, and
turning a picture into bytes and files in :mod:`~kzgraph.plot.output`.  This package
only gathers their public names.  matplotlib and networkx
are imported inside the functions, so importing this module (and ``kzgraph --help``)
stays cheap.  No pyplot: figures are built with the object API, so nothing global
changes and the server can draw from several threads.

Deterministic output: the SVG hash salt is fixed, the date metadata is left out, the
network layout uses a fixed seed and every list is sorted, so the same graph gives the
same bytes.
"""

from kzgraph.errors import EmptyPlotError, PlotError
from kzgraph.plot.figures import Figure, draw_figures, figures_data, figures_figure, figures_svg
from kzgraph.plot.network import (
    SEED,
    Edge,
    Network,
    draw_network,
    network_data,
    network_figure,
    network_svg,
)
from kzgraph.plot.output import format_of, inline_svg, render, save, to_html, to_svg, write_file
from kzgraph.plot.shared import (
    CONFLICT,
    FORMATS,
    LANES,
    NODE_KINDS,
    PNG_DPI,
    RC,
    RELATION_COLOURS,
    Mark,
    Picture,
    node_label,
    plot_queries,
    short_label,
)
from kzgraph.plot.timeline import (
    BREAK_WIDTH,
    BREAK_YEAR,
    Timeline,
    TimelineItem,
    draw_timeline,
    timeline_data,
    timeline_figure,
    timeline_svg,
)

__all__ = [
    "BREAK_WIDTH",
    "BREAK_YEAR",
    "CONFLICT",
    "FORMATS",
    "LANES",
    "NODE_KINDS",
    "PNG_DPI",
    "RC",
    "RELATION_COLOURS",
    "SEED",
    "Edge",
    "EmptyPlotError",
    "Figure",
    "Mark",
    "Network",
    "Picture",
    "PlotError",
    "Timeline",
    "TimelineItem",
    "draw_figures",
    "draw_network",
    "draw_timeline",
    "figures_data",
    "figures_figure",
    "figures_svg",
    "format_of",
    "inline_svg",
    "network_data",
    "network_figure",
    "network_svg",
    "node_label",
    "plot_queries",
    "render",
    "save",
    "short_label",
    "timeline_data",
    "timeline_figure",
    "timeline_svg",
    "to_html",
    "to_svg",
    "write_file",
]
