"""``python -m kzgraph`` runs the command-line interface."""

from kzgraph.cli import cli

if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess test
    cli(prog_name="kzgraph")
