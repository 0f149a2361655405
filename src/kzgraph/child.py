"""What the fast build's helper processes share: they die with the build.

The fast build (:mod:`kzgraph.store`) runs two pieces of work beside its main line on a
machine's second core: the file scan while Oxigraph parses (:class:`kzgraph.fast.ScanJob`)
and the search index while it validates and writes the store
(:class:`kzgraph.search.IndexWriter`).  A build killed with ``kill -9`` must leave nothing
running: each child asks Linux to kill it with its parent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent (``parent``, a pid) dies
    (``PR_SET_PDEATHSIG``), then make sure the parent has not died already; exit at once
    if it has.  Elsewhere the request is not made: the child finishes its work, into a
    temporary entry the next build removes."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
