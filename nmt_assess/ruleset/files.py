"""The JSON Schemas of the files a rule author writes (editor completion and checking), made
from the models that load them: `rules schema` writes these, and a test keeps the committed
schemas in rules/schema/ equal to them.

Where a file is written otherwise than it loads (a weight as a number or a strength name, a
condition as a bare finding id, choices as the name of a list, a rule of a later pack as just
its id and the keys it changes), the model's field says so with `FileForm`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from nmt_assess.cases import Case
from nmt_assess.models import Cause, Intake
from nmt_assess.models.catalog import (
    FindingsFile,
    PackSettings,
    RedFlagsFile,
    ReferralFile,
    SourcesFile,
)
from nmt_assess.models.screens import ScreensFile

#: File kind -> the model that loads a file of that kind.
SCHEMAS: dict[str, type[Any]] = {
    "pack": PackSettings,
    "findings": FindingsFile,
    "cause": Cause,
    "red_flags": RedFlagsFile,
    "referral": ReferralFile,
    "sources": SourcesFile,
    "screens": ScreensFile,
    "case": Case,
    "intake": Intake,
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema (draft 2020-12), as `rules schema` writes them."""
    from nmt_assess.ruleset.checks import rule_ignorable_ids, warning_ids

    schemas = {}
    for name, model in SCHEMAS.items():
        schema = TypeAdapter(model).json_schema(by_alias=True)
        # the ids a lint_ignore may name come from the registry of checks, not the models
        if name == "cause":
            _name_checks(schema["$defs"]["Rule"], rule_ignorable_ids())
        elif name == "pack":
            _name_checks(schema, warning_ids())
        schemas[f"{name}.schema.json"] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"nmt-assess {name.replace('_', ' ')} file",
            **schema,
        }
    return schemas


def _name_checks(model_schema: dict[str, Any], ids: list[str]) -> None:
    model_schema["properties"]["lint_ignore"]["items"]["enum"] = ids


class RefusedWrite(Exception):
    """A file or folder of a pack that cannot be written; the message says which and why."""


def write_json_schemas(output: Path) -> list[Path]:
    """Write the schemas: one file per kind in a folder (made if new), or all in one FILE.json.
    Any other existing file is refused, never replaced."""
    import json
    import os

    from nmt_assess.writers.files import atomic_text_file

    schemas = json_schemas()
    files: dict[Path, Any]
    if output.is_dir():
        files = {output / name: schema for name, schema in schemas.items()}
    elif output.suffix.lower() == ".json":
        files = {output: schemas}
    elif os.path.lexists(output):
        raise RefusedWrite(
            f"{output}: not a folder (--output takes a folder, or a .json file for all the "
            "schemas in one)"
        )
    else:
        files = {output / name: schema for name, schema in schemas.items()}
    for path, schema in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_text_file(path) as out:
                out.write(json.dumps(schema, indent=2) + "\n")
        except OSError as error:
            raise RefusedWrite(f"{path}: cannot write: {error.strerror or error}") from None
    return list(files)
