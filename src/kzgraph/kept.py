"""Objects kept in a cache entry between commands: the ask model (:mod:`kzgraph.ask`) and the
index of names (:mod:`kzgraph.resolve`).

The rule it keeps: a kept object is only a quicker way to the object the graph gives, never
another answer.  Its file is named after what shapes it (the files of the code that builds it,
and whatever else the caller adds), so a changed module or input makes a new one; it is
written through a temporary file renamed into place, so a reader sees a whole file or none;
a file that is absent, damaged or of another kind is built again; and a cache that cannot be
written to keeps nothing, without an error.  The files are pickles that kzgraph writes into
the user's own cache, trusted as the store beside them is.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

HERE = Path(__file__).parent


def stamp(files: Iterable[Path], *, salt: str = "") -> str:
    """A name for what ``files`` (their names, sizes and modification times) and ``salt``
    make: it changes when one of them does."""
    digest = hashlib.sha256(salt.encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    return digest.hexdigest()[:32]


def code(*modules: str) -> list[Path]:
    """The files of kzgraph's ``modules`` (``"resolve.py"``...), for :func:`stamp`."""
    return [HERE / module for module in modules]


@contextlib.contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Python's cycle collector paused while a kept object is read or built, and that object
    (with whatever else lives then) moved to the collector's permanent generation after: it
    is made of millions of containers, none of them garbage, and it lives as long as the
    process (a command, or a worker of ``kzgraph serve``).  Each collection would walk all
    of it again: the names of a 1M-triple graph (200k names) unpickled in 2.3 s with the
    collector on, 0.8 s without it, and the next full collection took another 1 s."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if paused:
            gc.enable()


def load_or_build(path: Path, kind: type[T], build: Callable[[], T]) -> T:
    """The ``kind`` object kept in ``path``; else ``build()``'s, then kept there, replacing
    the other files of its folder (older versions of it)."""
    try:
        with path.open("rb") as handle, without_cyclic_gc():
            kept = pickle.load(handle)  # our own cache entry, written below
        if isinstance(kept, kind):
            return kept
    except Exception:  # noqa: BLE001 - absent, partial or stale: build it again
        pass
    with without_cyclic_gc():
        made = build()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("*.pickle"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(made, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return made
