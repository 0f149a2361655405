"""Shell completion (bash, zsh, fish) through the installed ``kzgraph``, as a shell asks.

Each shell's script calls ``kzgraph`` with ``_KZGRAPH_COMPLETE=<shell>_complete`` and the
words typed so far in ``COMP_WORDS``/``COMP_CWORD`` (click's protocol, as click's own
tests drive it); these tests do the same in a subprocess and read the candidates back.
bash is also run for real: its script is sourced and its completion function called.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES

FIXTURE_QUERIES = sorted(p.stem for p in (FIXTURES / "queries").glob("*.rq"))


def complete(exe: str, shell: str, line: str, cwd: Path) -> list[tuple[str, str]]:
    """(value, help) for each candidate ``shell`` is given for ``line`` (the cursor at its
    end; a trailing space starts a new word)."""
    words = line.split()
    env = {**os.environ, "_KZGRAPH_COMPLETE": f"{shell}_complete", "LC_ALL": "C.UTF-8"}
    if shell == "fish":  # fish passes the line up to the cursor, and the word under it
        env["COMP_WORDS"] = line
        env["COMP_CWORD"] = "" if line.endswith(" ") else words[-1]
    else:
        env["COMP_WORDS"] = line
        env["COMP_CWORD"] = str(len(words) if line.endswith(" ") else len(words) - 1)
    done = subprocess.run(
        [exe], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = [line for line in done.stdout.splitlines() if line]  # nothing: an empty line
    if shell == "bash":
        return [(line.split(",", 1)[1], "") for line in lines]
    if shell == "zsh":
        triples = [lines[i : i + 3] for i in range(0, len(lines), 3)]
        return [(value.replace("\\:", ":"), "" if h == "_" else h) for _t, value, h in triples]
    found = []
    for line in lines:  # fish: type,value<TAB>help
        value, _, help_ = line.split(",", 1)[1].partition("\t")
        found.append((value, help_))
    return found


SHELLS = ["bash", "zsh", "fish"]


@pytest.mark.parametrize("shell", SHELLS)
def test_command_names(kzgraph_exe: str, tmp_path: Path, shell: str) -> None:
    values = [v for v, _h in complete(kzgraph_exe, shell, "kzgraph qu", tmp_path)]
    assert values == ["queries", "query"]
    every = [v for v, _h in complete(kzgraph_exe, shell, "kzgraph ", tmp_path)]
    assert {"build", "query", "sparql", "describe", "serve", "plot"} <= set(every)


@pytest.mark.parametrize("shell", SHELLS)
def test_saved_query_names_with_titles(kzgraph_exe: str, tmp_path: Path, shell: str) -> None:
    line = f"kzgraph --queries {FIXTURES / 'queries'} query "
    found = complete(kzgraph_exe, shell, line, tmp_path)
    assert [v for v, _h in found] == FIXTURE_QUERIES
    if shell != "bash":  # bash shows values only
        assert ("timeline", "Visits in a period") in found
    narrowed = complete(kzgraph_exe, shell, line + "t", tmp_path)
    assert [v for v, _h in narrowed] == ["tenures", "timeline"]


def test_bundled_query_names(kzgraph_exe: str, tmp_path: Path) -> None:
    values = [v for v, _h in complete(kzgraph_exe, "bash", "kzgraph query visits-", tmp_path)]
    assert "visits-by-person" in values
    assert all(v.startswith("visits-") for v in values)


@pytest.mark.parametrize("shell", SHELLS)
def test_parameter_names_after_p(kzgraph_exe: str, tmp_path: Path, shell: str) -> None:
    base = f"kzgraph --queries {FIXTURES / 'queries'} query timeline"
    found = complete(kzgraph_exe, shell, base + " -p ", tmp_path)
    assert [v for v, _h in found] == ["from", "to"]
    if shell != "bash":
        assert ("from", "date, default 1991-01-01") in found
    assert [v for v, _h in complete(kzgraph_exe, shell, base + " -p f", tmp_path)] == ["from"]
    # a value is free text: nothing offered; a second -p offers what is not set yet
    assert complete(kzgraph_exe, shell, base + " -p from ", tmp_path) == []
    again = complete(kzgraph_exe, shell, base + " -p from 1992-01-01 --param ", tmp_path)
    assert [v for v, _h in again] == ["to"]


def test_parameters_of_the_query_named_after_options(kzgraph_exe: str, tmp_path: Path) -> None:
    line = f"kzgraph --queries {FIXTURES / 'queries'} query -f csv visits-since -p "
    assert [v for v, _h in complete(kzgraph_exe, "bash", line, tmp_path)] == ["year", "month"]
    unknown = f"kzgraph --queries {FIXTURES / 'queries'} query no-such-query -p "
    assert complete(kzgraph_exe, "bash", unknown, tmp_path) == []


@pytest.mark.parametrize("shell", SHELLS)
def test_source_scripts(kzgraph_exe: str, tmp_path: Path, shell: str) -> None:
    env = {**os.environ, "_KZGRAPH_COMPLETE": f"{shell}_source"}
    done = subprocess.run(
        [kzgraph_exe], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stderr == ""
    assert f"_KZGRAPH_COMPLETE={shell}_complete" in done.stdout
    if shell == "bash":
        check = subprocess.run(["bash", "-n"], input=done.stdout, text=True, check=False)
        assert check.returncode == 0


def test_bash_completes_through_its_own_script(kzgraph_exe: str, tmp_path: Path) -> None:
    """bash itself: source the script, fill COMP_WORDS as readline would, call the function."""
    bash = shutil.which("bash")
    assert bash is not None
    script = (
        'eval "$(_KZGRAPH_COMPLETE=bash_source kzgraph)"\n'
        f"COMP_WORDS=(kzgraph --queries {FIXTURES / 'queries'} query timeline -p '')\n"
        "COMP_CWORD=6\n"
        "_kzgraph_completion kzgraph\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{Path(kzgraph_exe).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [bash, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["from", "to"]


# --------------------------------------------------------------------------- the guide's setup

GUIDE = Path(__file__).parent.parent / "docs" / "cli.md"


def setup_blocks() -> list[str]:
    """The setup blocks of the guide's section on completion, in order (bash, zsh, fish)."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[
        text.index("### Shell completion") : text.index("\n### ", text.index("### Shell"))
    ]
    return re.findall(r"```(?:bash|zsh|fish)\n(.*?)```", section, re.S)


def run_bash(script: str, exe: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    env["PATH"] = f"{Path(exe).parent}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_guide_setup_lines_work(kzgraph_exe: str, tmp_path: Path) -> None:
    bash_line, zsh_line, fish_lines = setup_blocks()
    done = run_bash(bash_line + "complete -p kzgraph\n", kzgraph_exe, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "complete -o nosort -F _kzgraph_completion kzgraph"
    inner = re.fullmatch(r'eval "\$\((.*)\)"\n', zsh_line)  # zsh itself is not installed here
    assert inner is not None
    zsh = run_bash(inner.group(1), kzgraph_exe, tmp_path)
    assert zsh.returncode == 0 and zsh.stdout.startswith("#compdef kzgraph")
    fish = run_bash(fish_lines, kzgraph_exe, tmp_path)
    assert fish.returncode == 0, fish.stderr
    written = (tmp_path / ".config/fish/completions/kzgraph.fish").read_text(encoding="utf-8")
    assert "complete --no-files --command kzgraph" in written


def test_guide_setup_from_a_file_works(kzgraph_exe: str, tmp_path: Path) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    commands = re.findall(r"`([^`]*kzgraph-complete\.bash)`", text)
    assert len(commands) == 2  # write the file, then source it
    done = run_bash("\n".join([*commands, "complete -p kzgraph"]), kzgraph_exe, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "_kzgraph_completion kzgraph" in done.stdout
