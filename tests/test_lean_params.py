"""The lean parameter coercion (nmt_assess/cli/lean_params.py) gives, for every parameter of
every command, what typer's own coercion gives: the same value, or the same error."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import typer
import typer.main

from nmt_assess.cli import lean_params
from nmt_assess.cli.app import build_app

#: Typer 0.29 coerces through pydantic; an older typer coerces with click and has no
#: parameter with a type descriptor, so the lean coercion is not installed there.
PYDANTIC_TYPER = hasattr(typer.core, "build_runtime_param")

TEXT = ["", "abc", "ünïcode", " spaced ", "-", "--format", b"bytes"]
FLAGS = [True, False, "true", "no", "", 1]
NUMBERS = ["0", "1", "2", "3", "4", "-1", "+2", "007", " 5", "1_000", "1.5", "x", "", "9" * 25, 7]


def _parameters() -> Iterator[tuple[str, Any, Any]]:
    """(command path, click command, parameter) for every parameter of every command."""
    stack: list[tuple[str, Any]] = [("nmt-assess", typer.main.get_command(build_app()))]
    while stack:
        name, command = stack.pop()
        for sub_name, sub in getattr(command, "commands", {}).items():
            stack.append((f"{name} {sub_name}", sub))
        for parameter in command.params:
            if hasattr(parameter, "type_descriptor"):
                yield name, command, parameter


PARAMETERS = list(_parameters())


def _samples(annotation: Any, tmp_path: Path) -> list[Any]:
    if get_origin(annotation) is list:
        items = _samples(get_args(annotation)[0], tmp_path)
        return [tuple(items[:2]), tuple(items), (), items[0], list(items[1:3])]
    if annotation is str:
        return TEXT
    if annotation is bool:
        return FLAGS
    if annotation is int:
        return NUMBERS
    if annotation is Path:
        folder = tmp_path / "folder"
        folder.mkdir(exist_ok=True)
        existing = tmp_path / "intake.json"
        existing.write_text("{}")
        return ["x.yaml", "", "a\0b", str(existing), str(folder), existing, "-", "~/x"]
    assert issubclass(annotation, Enum), annotation
    values = [member.value for member in annotation]
    return [*values, *(str(v).upper() for v in values), "nope", "", next(iter(annotation))]


def _outcome(coerce: Any, value: Any) -> tuple[str, Any]:
    try:
        result = coerce(value)
    except Exception as error:  # the very error typer gives, word for word
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        return type(error).__name__, message
    return type(result).__name__, result


def test_every_parameter_of_every_command_is_coerced_lean() -> None:
    assert lean_params.install() is PYDANTIC_TYPER
    if not PYDANTIC_TYPER:  # pragma: no cover: older typer
        assert not PARAMETERS
        return
    assert len(PARAMETERS) > 50
    left = [
        (name, p.name, str(p.type_descriptor.annotation))
        for name, _, p in PARAMETERS
        if type(typer.core.build_runtime_param(p.type_descriptor)).__name__ != "LeanRuntimeParam"
    ]
    assert not left  # no parameter left to a pydantic validator


@pytest.mark.parametrize(
    ("command_path", "command", "parameter"),
    PARAMETERS,
    ids=[f"{name} {p.name}" for name, _, p in PARAMETERS],
)
def test_the_lean_coercion_gives_what_typer_gives(
    command_path: str, command: Any, parameter: Any, tmp_path: Path
) -> None:
    lean_params.install()
    descriptor = parameter.type_descriptor
    lean = typer.core.build_runtime_param(descriptor)
    # typer's own, as typer would build it
    own = importlib.import_module("typer._coercion").build_runtime_param(descriptor)
    assert type(own).__name__ != "LeanRuntimeParam"
    context = command.make_context(command_path, [], resilient_parsing=True)
    for value in [None, *_samples(descriptor.annotation, tmp_path)]:
        expected = _outcome(lambda v: own.coerce(v, param=parameter, ctx=context), value)
        found = _outcome(lambda v: lean.coerce(v, param=parameter, ctx=context), value)
        assert found == expected, (parameter.name, value)


def test_installing_twice_keeps_one_lean_coercion() -> None:
    assert lean_params.install() is PYDANTIC_TYPER
    first = typer.core.build_runtime_param
    assert lean_params.install()
    assert typer.core.build_runtime_param is first
