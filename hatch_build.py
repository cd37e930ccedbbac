"""The wheel's build hook: the default pack, loaded, validated and compiled at build time.

Hatchling runs it for the wheel (not the sdist, not an editable install). It loads rules/ the
normal way with the nmt_assess of this source tree and puts the result into the wheel as
nmt_assess/_prebuilt/default.pickle, keyed so that the installed package uses it only while
the pack, the package and the versions it depends on are the ones it was built from (see
nmt_assess/ruleset/prebuilt.py). A default pack that does not load fails the build.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def write_prebuilt(root: Path, output: Path) -> Path:
    """Write the artifact for the source tree at `root` into the folder `output`."""
    sys.path.insert(0, str(root))
    try:
        from nmt_assess.ruleset import prebuilt

        artifact = output / prebuilt.ARTIFACT.name
        artifact.write_bytes(prebuilt.build(root / "rules", root / "nmt_assess"))
    finally:
        sys.path.remove(str(root))
    return artifact


class PrebuiltPackHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        self._folder = tempfile.mkdtemp(prefix="nmt-assess-prebuilt-")
        artifact = write_prebuilt(Path(self.root), Path(self._folder))
        build_data["force_include"][str(artifact)] = "nmt_assess/_prebuilt/default.pickle"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        folder = getattr(self, "_folder", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
