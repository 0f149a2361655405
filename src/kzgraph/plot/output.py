"""Pictures to bytes and files: SVG with tooltips and links, PNG, a self-contained HTML page.

Every mark a picture registered (:meth:`~kzgraph.plot.shared.Picture.mark`) gets its
class, its ``<title>`` tooltip and its ``data-iri`` in the SVG; files are written
atomically (a temporary file, then a rename), so a failed write leaves nothing behind.
"""

from __future__ import annotations

import html
import io
import os
import re
import tempfile
from pathlib import Path

from kzgraph.errors import PlotError
from kzgraph.plot.shared import FORMATS, LOCK, PNG_DPI, RC, Picture
from kzgraph.project import display_path


def format_of(path: str | Path) -> str:
    """The output format named by ``path``'s extension, or a PlotError."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        shown = f"'.{ext}'" if ext else "no extension"
        raise PlotError(
            f"{display_path(path)}: cannot write {shown}; use a file ending in "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return ext


def _raw_svg(picture: Picture) -> str:
    import matplotlib

    buffer = io.BytesIO()
    with LOCK, matplotlib.rc_context(RC):
        picture.figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue().decode("utf-8")


_GROUP = re.compile(r'<g id="(kz-[a-z]+-\d+)">')


def to_svg(picture: Picture) -> str:
    """SVG text with a class, a <title> tooltip and a link on every mark."""
    svg = _raw_svg(picture)

    def annotate(m: re.Match[str]) -> str:
        mark = picture.marks.get(m.group(1))
        if mark is None:
            return m.group(0)
        iri = f' data-iri="{html.escape(mark.iri)}"' if mark.iri else ""
        return (
            f'<g id="{m.group(1)}" class="{mark.css}"{iri}>'
            f"<title>{html.escape(mark.title, quote=False)}</title>"
        )

    svg = _GROUP.sub(annotate, svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(picture.title)}" ', 1)
    return svg


def inline_svg(svg: str) -> str:
    """``svg`` without the XML prolog, sized to its container (for an HTML page)."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    return re.sub(
        r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 width="100%"', body, count=1
    )


def to_html(svg: str, title: str) -> str:
    """A self-contained page: the inline SVG, tooltips and links, no scripts or CDN."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #202020; }}
figure {{ margin: 0; }}
svg {{ max-width: 100%; height: auto; }}
.kz-event:hover, .kz-node:hover, .kz-figure:hover {{ opacity: 0.7; }}
.kz-label:hover text {{ text-decoration: underline; }}
.kz-edge:hover path {{ stroke-width: 2.5; }}
</style>
</head>
<body>
<figure>
{inline_svg(svg)}
<figcaption>Hover a mark to see its dates and sources; click it to open the resource. Made with
kzgraph from its saved queries.</figcaption>
</figure>
</body>
</html>
"""


def render(picture: Picture | str, fmt: str) -> bytes:
    """The bytes of ``picture`` (a Picture, or SVG text for svg/html) in ``fmt``."""
    if fmt not in FORMATS:
        raise PlotError(f"unknown picture format {fmt!r}; use one of {', '.join(FORMATS)}")
    if isinstance(picture, str):
        if fmt == "png":
            raise PlotError("a PNG needs the figure, not its SVG text")
        svg = picture
        title = re.search(r'aria-label="([^"]*)"', svg)
        page_title = html.unescape(title.group(1)) if title else "kzgraph"
    else:
        if fmt == "png":
            import matplotlib

            buffer = io.BytesIO()
            with LOCK, matplotlib.rc_context(RC):
                picture.figure.savefig(
                    buffer, format="png", dpi=PNG_DPI, metadata={"Software": None}
                )
            return buffer.getvalue()
        svg = to_svg(picture)
        page_title = picture.title
    if fmt == "svg":
        return svg.encode("utf-8")
    return to_html(svg, page_title).encode("utf-8")


def save(picture: Picture | str, path: str | Path) -> Path:
    """Write ``picture`` to ``path`` in the format its extension names, atomically."""
    path = Path(path)
    return write_file(render(picture, format_of(path)), path)


def write_file(content: bytes, path: str | Path) -> Path:
    """Write ``content`` via a temporary file and a rename, with the usual file mode
    (0666 less the umask; ``mkstemp`` alone would leave 0600)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
