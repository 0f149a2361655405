"""Every shell example of the documentation runs, and prints what it shows.

One runner for the examples of ``README.md``, the guides ``docs/*.md`` and each command's
``--help`` text, on the bundled data (the convention is in docs/contributing.md):

- a ``console`` block: ``$ command`` lines, each followed by its output (stdout and stderr
  merged in the order written); the commands of a block run one after the other in a
  fresh temporary folder holding a copy of ``data/``, and each output must equal the shown
  one after normalising times, durations, byte counts, the cache folder, kzgraph's
  version, temporary folders and the servers' real ports; a line ``…`` stands for any
  number of lines;
- an ``sh`` block and a ``--help`` example: commands without output; each must exit 0 and
  print or write something;
- ``kzgraph serve`` runs on a free port until it answers, then stops; in a ``console`` block
  what it prints on starting must be the shown line, with the example's port (it is never
  rewritten); ``http://127.0.0.1:8000`` is a real
  ``kzgraph serve``, ``http://127.0.0.1:7878`` a real ``oxigraph serve`` (empty for each
  block; the ``--help`` examples get one holding the published graph), ``:7879`` a port
  where nothing listens and ``:7880`` a server that redirects every request elsewhere;
- the Quick start's install lines are the ones .ci/run runs (its test command verbatim).

Anything else that looks like an example fails: a ``text`` or unlabelled block holding a
``$ `` line, or a command the runner has no way to run.  ``KZGRAPH_EXAMPLES_REWRITE=1``
writes the real output into the Markdown instead of failing (then read the diff).
"""

from __future__ import annotations

import http.server
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest

from kzgraph import __version__
from kzgraph.cli import cli

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SERVED = "http://127.0.0.1:8000"  # kzgraph serve, as the examples show it
STORE = "http://127.0.0.1:7878"  # oxigraph serve
CLOSED = "http://127.0.0.1:7879"  # nothing listens
REDIRECT = "http://127.0.0.1:7880"  # answers 301 to REDIRECT_TO
REDIRECT_TO = "https://store.example.org"
#: how the examples show starting the store: the runner starts a real one on a free port
SERVE = re.compile(r"kzgraph serve\b")
STORE_START = re.compile(r"oxigraph serve --location \S+ --bind 127\.0\.0\.1:7878 &")
FIRST_BUILD = re.compile(r"kzgraph: built cache \(\d+ asserted, \d+ inferred triples\)$")
REWRITE = os.environ.get("KZGRAPH_EXAMPLES_REWRITE") == "1"
#: names the --help examples use for a user's own inputs; the sandbox holds them
PLACEHOLDERS = ("my-data", "big-data", "my-queries", "old-release/data", "my-query.rq")


# --------------------------------------------------------------------------- collecting


@dataclass(frozen=True)
class Step:
    command: str
    shown: str | None  # None: the example shows no output


@dataclass(frozen=True)
class Example:
    where: str  # file:line, or "kzgraph query --help"
    kind: str  # console, sh, help, or unknown (fails)
    steps: tuple[Step, ...]
    path: Path | None = None


def _commands(lines: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(command, output lines) of a console block: a command goes on while a quote is open."""
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise ValueError(f"output before the first '$ ' line: {lines[i]!r}")
        command = lines[i][2:]
        while not _complete(command) and i + 1 < len(lines):
            i += 1
            command += "\n" + lines[i]
        i += 1
        output: list[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            output.append(lines[i])
            i += 1
        yield command, output


def _complete(command: str) -> bool:
    try:
        shlex.split(command)
    except ValueError:
        return False
    return True


def markdown_examples(path: Path, root: Path = ROOT) -> list[Example]:
    found: list[Example] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        fence = re.match(r"```(\S*)$", lines[i])
        if fence is None:
            i += 1
            continue
        lang, start = fence.group(1), i
        end = lines.index("```", i + 1)
        body = lines[start + 1 : end]
        where = f"{path.relative_to(root)}:{start + 1}"
        if lang == "console":
            steps = tuple(Step(c, "\n".join(out)) for c, out in _commands(body))
            found.append(Example(where, "console", steps, path))
        elif lang == "sh":
            joined = "\n".join(body).replace("\\\n", "")
            steps = tuple(
                Step(line.split("  #")[0].strip(), None)
                for line in joined.split("\n")
                if line.strip() and not line.lstrip().startswith("#")
            )
            found.append(Example(where, "sh", steps, path))
        elif lang in ("", "text") and any(
            line.startswith("$ ") or line.startswith("kzgraph ") for line in body
        ):
            found.append(Example(where, "unknown", (Step("\n".join(body), None),), path))
        i = end + 1
    return found


def help_examples() -> list[Example]:
    found: list[Example] = []

    def walk(command: click.Command, path: list[str], parent: click.Context | None) -> None:
        # each context under its parent's, with the command's own settings, as click makes
        # them: click keeps a command's help option from the first context it sees, so a bare
        # Context here would leave `kzgraph -h` unknown for the rest of the session
        ctx = click.Context(command, info_name=path[-1], parent=parent, **command.context_settings)
        text = command.get_help(ctx)
        _, _, tail = text.partition("Examples:\n")
        block = tail.split("\n\n")[0] if tail else ""
        steps = tuple(Step(line.strip(), None) for line in block.splitlines() if line.strip())
        if steps:
            found.append(Example(" ".join(path) + " --help", "help", steps))
        if isinstance(command, click.Group):
            for name in sorted(command.commands):
                walk(command.commands[name], [*path, name], ctx)

    walk(cli, ["kzgraph"], None)
    return found


EXAMPLES = [e for doc in DOCUMENTS for e in markdown_examples(doc)] + help_examples()


# --------------------------------------------------------------------------- services


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _exe(name: str) -> str:
    exe = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if exe is None:
        pytest.fail(f"{name} is not installed (pip install '.[test]')")
    return exe


def start_store(folder: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """A real, empty ``oxigraph serve`` on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [_exe("oxigraph"), "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/query?query=ASK%7B%7D", process)
    return base, process


def start_serve(
    *options: str, cwd: Path | None = None, log: Path | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    """A real ``kzgraph serve`` with ``options`` on a free port (any --port is replaced), run
    in ``cwd`` (an example's files, such as its access log, are written there), what it
    prints going to ``log``."""
    args = list(options)
    if "--port" in args:
        at = args.index("--port")
        del args[at : at + 2]
    port = free_port()
    with open(log or os.devnull, "wb") as out:
        process = subprocess.Popen(
            [_exe("kzgraph"), "serve", *args, "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/", process)
    return base, process


class _Redirect(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(301)
        self.send_header("Location", REDIRECT_TO + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = _answer  # noqa: N815 - http.server's names

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    base, process = start_serve()
    yield base
    _stop(process)


@pytest.fixture(scope="module")
def redirect() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module", autouse=True)
def warm_cache() -> None:
    """Build the cache first, so that no example shows the first build's messages."""
    subprocess.run([_exe("kzgraph"), "build"], check=True, capture_output=True)


# --------------------------------------------------------------------------- running


@dataclass
class Sandbox:
    folder: Path
    urls: dict[str, str] = field(default_factory=dict)  # shown -> real
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def real(self, text: str) -> str:
        for shown, real in self.urls.items():
            text = text.replace(shown, real)
        return text

    def shown(self, text: str) -> str:
        for shown, real in self.urls.items():
            text = text.replace(real, shown)
        cache = os.environ["KZGRAPH_CACHE"]
        text = text.replace(str(self.folder) + "/", "").replace(str(self.folder), ".")
        text = text.replace(str(ROOT) + "/", "").replace(cache, "~/.cache/kzgraph")
        return text

    def start_store(self) -> None:
        base, process = start_store(self.folder / f".store-{len(self.processes)}")
        self.processes.append(process)
        self.urls[STORE] = base

    def close(self) -> None:
        for process in self.processes:
            _stop(process)


def normalise(text: str) -> list[str]:
    """What may differ between runs, made equal: durations, sizes, cache keys, version."""
    text = re.sub(r"\b\d+(?:\.\d+)? ?(ms|s)\b", r"N \1", text)
    text = re.sub(r"\b\d+ bytes\b", "N bytes", text)
    text = re.sub(r"\b[0-9a-f]{32}\b", "<hash>", text)
    text = text.replace(f"kzgraph {__version__}", "kzgraph VERSION")
    # a command's first build of a cache says so; whether it is the first depends on what ran
    lines = [line.rstrip() for line in text.split("\n") if not FIRST_BUILD.match(line)]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(shown: list[str], actual: list[str]) -> bool:
    """``shown`` equals ``actual``, where a line ``…`` stands for any number of lines."""
    parts: list[list[str]] = [[]]
    for line in shown:
        if line == "…":
            parts.append([])
        else:
            parts[-1].append(line)
    if len(parts) == 1:
        return shown == actual
    first, *middle, last = parts
    if actual[: len(first)] != first or (last and actual[-len(last) :] != last):
        return False
    at, end = len(first), len(actual) - len(last)
    for part in middle:
        while at + len(part) <= end and actual[at : at + len(part)] != part:
            at += 1
        if at + len(part) > end:
            return False
        at += len(part)
    return at <= end


def run(command: str, box: Sandbox) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",  # stdout and stderr reach the pipe in the order written
        "PW": "example-password",  # the password the credentials examples keep in $PW
    }
    return subprocess.run(
        ["bash", "-c", box.real(command)],
        cwd=box.folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=600,
    )  # fmt: skip


def quick_start(command: str) -> None:
    """The Quick start's lines are .ci/run's: its test command verbatim, and the install
    command the same with '.' for '.[test]', then the query it shows."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    tested = next(line for line in ci.splitlines() if line.startswith("python3 -m venv"))
    if "pytest" in command:
        assert command == tested
        return
    install, _, query = command.rpartition(" && ")
    assert install == tested.rpartition(" && ")[0].replace("'.[test]'", ".")
    assert query.startswith(".venv/bin/kzgraph ")
    done = subprocess.run(
        [_exe("kzgraph"), *shlex.split(query)[1:]], capture_output=True, text=True, timeout=300
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout, done.stderr


def serve_briefly(command: str, folder: Path) -> str:
    """``kzgraph serve [options]``: start it on a free port in the example's folder, see its
    home page, stop it; what it printed, with the port the example asks for (8000 unless
    it gives --port)."""
    args = shlex.split(command)[2:]
    log = folder / ".serve.log"
    base, process = start_serve(*args, cwd=folder, log=log)
    try:
        with urllib.request.urlopen(f"{base}/", timeout=30) as answer:
            assert answer.status == 200 and b"kzgraph" in answer.read()
    finally:
        _stop(process)
    asked = args[args.index("--port") + 1] if "--port" in args else "8000"
    printed = log.read_text(encoding="utf-8")
    return printed.replace(base.rpartition(":")[2] + "/", asked + "/")


def new_files(folder: Path, before: set[Path]) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p not in before]


def run_without_output(step: Step, box: Sandbox) -> None:
    if step.command.startswith("python3 -m venv"):
        quick_start(step.command)
        return
    if SERVE.match(step.command):
        serve_briefly(step.command, box.folder)
        return
    if STORE_START.fullmatch(step.command):
        box.start_store()
        return
    before = {p for p in box.folder.rglob("*") if p.is_file()}
    done = run(step.command, box)
    assert done.returncode == 0, (step.command, done.stdout)
    if "kzgraph " in step.command:  # curl's answer to an update is empty, and that is right
        assert done.stdout.strip() or new_files(box.folder, before), step.command


def make_sandbox(tmp_path: Path, example: Example, served: str, redirect: str) -> Sandbox:
    box = Sandbox(tmp_path / "work")
    box.folder.mkdir()
    shutil.copytree(ROOT / "data", box.folder / "data")
    (box.folder / "docs" / "img").mkdir(parents=True)  # where the pictures' examples write
    text = "\n".join(s.command + "\n" + (s.shown or "") for s in example.steps)
    if SERVED in text:
        box.urls[SERVED] = served
    if CLOSED in text:
        box.urls[CLOSED] = f"http://127.0.0.1:{free_port()}"
    if REDIRECT in text:
        box.urls[REDIRECT] = redirect
    return box


def prepare_for_help(box: Sandbox) -> None:
    """What a --help example may name besides the bundled data: a clone's folders, the
    placeholders for a user's own inputs, two releases' exports, and a store holding the
    published graph."""
    shutil.copytree(ROOT / "queries", box.folder / "queries")
    for name in PLACEHOLDERS:
        if name.endswith(".rq"):
            shutil.copy(ROOT / "queries" / "summits.rq", box.folder / name)
        elif "queries" in name:
            shutil.copytree(ROOT / "queries", box.folder / name)
        else:
            shutil.copytree(ROOT / "data", box.folder / name)
    for release in ("kzgraph-1.0.0.nt", "kzgraph-1.1.0.nt"):
        assert run(f"kzgraph export -f nt --inferred -o {release}", box).returncode == 0
    box.start_store()
    assert run(f"kzgraph publish --endpoint {STORE} --replace", box).returncode == 0


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_example(example: Example, tmp_path: Path, served: str, redirect: str) -> None:
    assert example.kind != "unknown", (
        f"{example.where}: a block that is not 'console' or 'sh' holds a command; the "
        "runner cannot run it (see docs/contributing.md)"
    )
    box = make_sandbox(tmp_path, example, served, redirect)
    try:
        if example.kind == "help":
            prepare_for_help(box)
        elif any(STORE in s.command for s in example.steps) and not any(
            s.command.startswith("oxigraph serve") for s in example.steps
        ):
            box.start_store()
        for step in example.steps:
            if SERVE.match(step.command) and step.shown:
                # a server runs until stopped: it is started on a free port, and what it
                # prints on starting is compared (never rewritten: the port may be taken)
                printed = serve_briefly(step.command, box.folder)
                assert normalise(step.shown) == normalise(printed), (step.command, printed)
                continue
            if step.shown is None or STORE_START.fullmatch(step.command):
                assert not step.shown, f"{example.where}: {step.command} prints nothing"
                run_without_output(step, box)
                continue
            done = run(step.command, box)
            actual = box.shown(done.stdout)
            if matches(normalise(step.shown), normalise(actual)):
                continue
            if REWRITE and example.path is not None and "…" not in step.shown:
                text = example.path.read_text(encoding="utf-8")
                line = int(example.where.rpartition(":")[2])
                at = sum(len(x) + 1 for x in text.split("\n")[:line])  # the block's start
                old = f"$ {step.command}\n{step.shown}".rstrip("\n") + "\n"
                new = f"$ {step.command}\n{actual}".rstrip("\n") + "\n"
                at = text.index(old, at)
                text = text[:at] + new + text[at + len(old) :]
                example.path.write_text(text, encoding="utf-8")
                continue
            pytest.fail(f"{example.where}: $ {step.command}\n--- shown\n{step.shown}\n"
                        f"--- printed\n{actual}")  # fmt: skip
    finally:
        box.close()


# --------------------------------------------------------------------------- the runner


def test_the_runner_finds_every_kind_of_example() -> None:
    kinds = {e.kind for e in EXAMPLES}
    assert kinds <= {"console", "sh", "help"}, [e.where for e in EXAMPLES if e.kind == "unknown"]
    assert sum(len(e.steps) for e in EXAMPLES if e.kind == "console") >= 60
    assert sum(1 for e in EXAMPLES if e.kind == "help") >= 15
    assert any(e.where.startswith("README.md") for e in EXAMPLES)


def test_commands_go_on_while_a_quote_is_open() -> None:
    lines = ["$ kzgraph sparql '", "SELECT * WHERE {}'", "x", "$ echo a", "a"]
    assert list(_commands(lines)) == [
        ("kzgraph sparql '\nSELECT * WHERE {}'", ["x"]),
        ("echo a", ["a"]),
    ]


def test_an_elision_stands_for_lines_but_not_for_a_difference() -> None:
    assert matches(["a", "…", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "…"], ["a", "b"])
    assert matches(["a", "…", "c", "…"], ["a", "b", "c", "d"])
    assert not matches(["a", "…", "d"], ["a", "b", "c", "e"])
    assert not matches(["a", "…", "c", "…", "b"], ["a", "b", "c"])
    assert not matches(["a", "b"], ["a", "b", "c"])


def test_normalising_keeps_what_matters() -> None:
    assert normalise("x (3 ms, oxigraph)\n(HTTP 204, 0.55 s)  \n\n") == [
        "x (N ms, oxigraph)",
        "(HTTP 204, N s)",
    ]
    assert normalise("6 rows") == ["6 rows"] and normalise("9008 triples") == ["9008 triples"]
    assert normalise("kzgraph: built cache (7926 asserted, 5375 inferred triples)\nx") == ["x"]


def test_a_text_block_with_a_command_is_refused(tmp_path: Path) -> None:
    doc = tmp_path / "guide.md"
    doc.write_text("# G\n\n```text\n$ kzgraph stats\nx\n```\n", encoding="utf-8")
    (example,) = markdown_examples(doc, root=tmp_path)
    assert example.kind == "unknown" and example.where == "guide.md:3"
