"""Bundle ontology/, data/, queries/ and docs/ (the guides `kzgraph docs` renders) into the
wheel as kzgraph/_bundle/<folder>.

A hook instead of a static ``force-include`` table so that a folder that does not
exist yet (a fresh clone before any saved query lands) does not break the build.
The top-level folders stay the source of truth; editable installs read them directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLED = ("ontology", "data", "queries", "docs")


class BundleHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        for name in BUNDLED:
            folder = Path(self.root) / name
            if folder.is_dir():
                build_data["force_include"][str(folder)] = f"kzgraph/_bundle/{name}"
