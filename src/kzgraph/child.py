"""What the fast build's helper processes share: they die with the build.

The fast build (:mod:`kzgraph.store`) runs three pieces of work beside its main line on a
machine's second core: the file scan while Oxigraph parses (:class:`kzgraph.fast.ScanJob`),
the on-disk store, loaded from the asserted triples while the build reasons and from the
inferred ones while it validates (:class:`kzgraph.fast.StoreWriter`), and the search index
beside validation (:class:`kzgraph.search.IndexWriter`).  A build killed with ``kill -9``
must leave nothing running: each child asks Linux to kill it with its parent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

#: how much lower a :class:`Helper` child's priority is than the build's (``nice``):
#: Linux then gives the build ~9 times a child's share of a contended core
NICENESS = 10


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


class Helper:
    """A piece of the build in a child Python process: ``MODULE._child()`` run as
    ``python -c`` with ``ARGS... PARENT_PID`` on its command line (the child calls
    :func:`die_with_parent` with it, and prints the seconds it worked when done).  A
    process, not a thread: the work is Python or holds the GIL, and a thread would hold
    it against the build.

    :meth:`ready` tells the child that one of its input files is written (the child
    waits for it with :func:`announced`); :meth:`finish` says there is no more input,
    waits and turns a failure into a one-line
    :class:`~kzgraph.errors.CacheError` naming ``entry_dir`` and saying what could not
    be written (``what``); :meth:`abort` stops the child."""

    def __init__(self, module: str, args: list[str], entry_dir: Path, what: str) -> None:
        import subprocess
        import tempfile

        import kzgraph

        self.entry_dir, self.what = entry_dir, what
        self._errors = tempfile.TemporaryFile()
        env = dict(os.environ)
        # the child imports this very kzgraph, wherever it was imported from
        package_root = str(Path(kzgraph.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from {module} import _child; _child()",
             *args, str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors, env=env,
        )  # fmt: skip

    def ready(self, path: Path) -> None:
        """Tell the child that ``path`` is written whole (:func:`announced` waits for it);
        a child that has already failed is left to :meth:`finish` to report."""
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.write(os.fsencode(path) + b"\n")
            self._process.stdin.flush()

    def finish(self) -> float:
        """Wait for the child; the seconds it spent working (CacheError if it failed)."""
        from kzgraph.errors import CacheError

        assert self._process.stdin is not None and self._process.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()
        out = self._process.stdout.read()
        code = self._process.wait()
        self._process.stdout.close()
        self._errors.seek(0)
        text = self._errors.read().decode("utf-8", "replace").strip()
        self._errors.close()
        if code != 0:
            last = text.splitlines()[-1] if text else f"the child process exited with {code}"
            raise CacheError(f"cannot write {self.what}: {last}", path=self.entry_dir)
        try:
            return float(out.decode().strip())
        except ValueError:
            raise CacheError(
                f"cannot write {self.what}: the child process said nothing", path=self.entry_dir
            ) from None

    def abort(self) -> None:
        """Stop the child (the build failed or was interrupted)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._errors.close()


#: the seconds this child has spent in :func:`announced`, waiting for its parent
_waited = 0.0


def announced(files: Iterable[Path]) -> Iterator[Path]:
    """In a :class:`Helper`'s child: each of ``files`` in turn, once the parent has said
    it is ready (:meth:`Helper.ready`: its path as a line on the standard input), or once
    the parent has closed the standard input (:meth:`Helper.finish`: everything it was
    going to write is written).  A file that is then missing is a CacheError naming
    those of ``files`` that are missing."""
    import time

    from kzgraph.errors import CacheError

    global _waited
    files = list(files)
    said: set[str] = set()
    for path in files:
        started = time.perf_counter()
        while str(path) not in said:
            line = sys.stdin.readline()
            if not line:  # no more to wait for
                break
            said.add(line.rstrip("\n"))
        _waited += time.perf_counter() - started
        if not path.is_file():
            missing = [p.name for p in files if not p.is_file()]
            raise CacheError(f"{' and '.join(missing)} missing from the entry")
        yield path


def run_child(work: Callable[[list[str]], None]) -> None:
    """The body of a :class:`Helper`'s child: ``ARGS... PARENT_PID`` on the command line.
    Dies with the parent, runs ``work(ARGS)``, prints the seconds it worked (not those
    it spent waiting in :func:`announced`); any failure is one line on stderr and exit
    status 1, never a traceback."""
    import time

    parent = int(sys.argv[-1])
    die_with_parent(parent)
    # the build's main line is the critical path: where the children and it want more
    # cores than there are, it goes first, and the children take what it leaves
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    started = time.perf_counter()
    try:
        work(sys.argv[1:-1])
    except OSError as exc:
        said = exc.strerror or str(exc)
        print(f"{exc.filename}: {said}" if exc.filename else said, file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        from kzgraph.errors import KzgraphError

        known = isinstance(exc, KzgraphError)
        print(str(exc) if known else f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
    print(f"{time.perf_counter() - started - _waited:.3f}")
