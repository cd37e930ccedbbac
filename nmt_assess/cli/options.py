"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

RULES_ENVVAR = "NMT_ASSESS_RULES"

RulesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--rules",
        help="A rule pack folder to layer over the default one (repeatable, in order; "
        "also NMT_ASSESS_RULES, folders separated by ':').",
        envvar=RULES_ENVVAR,
    ),
]
