"""Shared fixtures: the tiny fixture project and an isolated cache per test session."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kzgraph.project import Project

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test uses a private cache (never the user's ~/.cache)."""
    old = os.environ.get("KZGRAPH_CACHE")
    os.environ["KZGRAPH_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ.pop("KZGRAPH_DATA", None)
    yield
    if old is None:
        os.environ.pop("KZGRAPH_CACHE", None)
    else:
        os.environ["KZGRAPH_CACHE"] = old


@pytest.fixture
def fixture_project() -> Project:
    return Project(FIXTURES / "data", FIXTURES / "ontology", FIXTURES / "queries")


@pytest.fixture
def copied_project(tmp_path: Path) -> Project:
    """A writable copy of the fixture project (for tests that change inputs)."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURES, root)
    return Project(root / "data", root / "ontology", root / "queries")


def project_args(project: Project) -> list[str]:
    return [
        "--data",
        str(project.data_dir),
        "--ontology",
        str(project.ontology_dir),
        "--queries",
        str(project.queries_dir),
    ]


@pytest.fixture
def fx_args(fixture_project: Project) -> list[str]:
    return project_args(fixture_project)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def kzgraph_exe() -> str:
    """The console script installed next to the Python running the tests."""
    exe = shutil.which("kzgraph", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("the kzgraph entry point is not installed in this environment")
    return exe


@pytest.fixture
def entry(fixture_project: Project):  # type: ignore[no-untyped-def]
    from kzgraph.store import build

    return build(fixture_project).entry
