from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nmt_assess.models import Intake, Ruleset
from nmt_assess.ruleset import default_pack_dir, load_ruleset, prebuilt

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
MINI_PACK = DATA / "packs" / "mini"
CASES_DIR = default_pack_dir() / "cases"


@pytest.fixture(scope="session", autouse=True)
def default_pack_as_installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default pack prebuilt, as the installed wheel has it (a checkout has no artifact),
    so that the many commands run in process here do not each read and check its YAML: the
    artifact is built from this checkout, and used only while its key matches, as in a wheel.
    The normal load is tested on packs of the tests' own, and where tests/test_prebuilt.py
    makes the key miss."""
    artifact = tmp_path_factory.mktemp("prebuilt") / prebuilt.ARTIFACT.name
    artifact.write_bytes(prebuilt.build(ROOT / "rules", ROOT / "nmt_assess"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(prebuilt, "artifact_path", lambda: artifact)
        yield artifact


@pytest.fixture(scope="session")
def ruleset() -> Ruleset:
    """The bundled default pack."""
    return load_ruleset()


@pytest.fixture(scope="session")
def mini() -> Ruleset:
    """A tiny pack whose numbers are easy to compute by hand."""
    return load_ruleset(MINI_PACK)


def intake(**findings: object) -> Intake:
    return Intake.model_validate({"id": "T", "findings": findings})
