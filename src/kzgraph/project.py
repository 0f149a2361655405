"""Where the inputs live: the ontology, data and queries folders.

In a source checkout (or an editable install) the top-level ``ontology/``, ``data/``
and ``queries/`` folders are used.  A wheel carries copies under ``kzgraph/_bundle/``
(hatch ``force-include``), used when no checkout is around the package.  ``--data``
(or ``$KZGRAPH_DATA``), ``--ontology`` and ``--queries`` point at other folders.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from kzgraph import __version__
from kzgraph.errors import InputError

PACKAGE_DIR = Path(__file__).resolve().parent


def default_root() -> Path:
    """The folder holding ``ontology/``, ``data/`` and ``queries/``."""
    checkout = PACKAGE_DIR.parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "ontology").is_dir():
        return checkout
    return PACKAGE_DIR / "_bundle"


def display_path(path: str | Path) -> str:
    """``path`` relative to the working directory when it is below it (for messages)."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _ttl_files(folder: Path) -> list[Path]:
    """The folder's Turtle files; a link to nothing is kept, so reading it fails loudly
    instead of the file silently dropping out of the graph."""
    return sorted(
        p for p in folder.rglob("*.ttl") if p.is_file() or (p.is_symlink() and not p.exists())
    )


@dataclass(frozen=True)
class Project:
    """The three input folders of one knowledge graph."""

    data_dir: Path
    ontology_dir: Path
    queries_dir: Path

    @classmethod
    def locate(
        cls,
        data: str | Path | None = None,
        ontology: str | Path | None = None,
        queries: str | Path | None = None,
    ) -> Project:
        root = default_root()
        data = data or os.environ.get("KZGRAPH_DATA") or root / "data"
        return cls(
            data_dir=Path(data),
            ontology_dir=Path(ontology) if ontology else root / "ontology",
            queries_dir=Path(queries) if queries else root / "queries",
        )

    def _require(self, folder: Path, what: str) -> Path:
        if not folder.is_dir():
            raise InputError(f"{what} folder not found", path=folder)
        return folder

    def data_files(self) -> list[Path]:
        """Every ``*.ttl`` under the data folder, sorted."""
        files = _ttl_files(self._require(self.data_dir, "data"))
        if not files:
            raise InputError("no .ttl files in the data folder", path=self.data_dir)
        return files

    def ontology_files(self) -> list[Path]:
        """The TBox files: every ``*.ttl`` in the ontology folder except the shapes."""
        folder = self._require(self.ontology_dir, "ontology")
        return [p for p in _ttl_files(folder) if "shape" not in p.name]

    def shapes_files(self) -> list[Path]:
        """The SHACL files: ``*.ttl`` in the ontology folder whose name mentions shapes."""
        folder = self._require(self.ontology_dir, "ontology")
        return [p for p in _ttl_files(folder) if "shape" in p.name]

    def graph_inputs(self) -> list[Path]:
        """Every file whose content the stored graph depends on."""
        return self.ontology_files() + self.shapes_files() + self.data_files()


def input_hash(files: list[Path]) -> str:
    """A key over the names and bytes of ``files`` and the kzgraph version.

    Cheap enough to run on every command (a few hundred KB of SHA-256), so a
    stale cache is found by re-hashing rather than by trusting timestamps.
    """
    digest = hashlib.sha256(f"kzgraph {__version__}\n".encode())
    for path in files:
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise InputError("no such file", path=path) from None
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", path=path) from None
        digest.update(f"{path.name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()[:32]
