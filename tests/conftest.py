from __future__ import annotations

from pathlib import Path

import pytest

from nmt_assess.models import Intake, Ruleset
from nmt_assess.ruleset import default_pack_dir, load_ruleset

DATA = Path(__file__).parent / "data"
MINI_PACK = DATA / "packs" / "mini"
CASES_DIR = default_pack_dir() / "cases"


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
