"""Parameter coercion without a pydantic validator per parameter, where typer would build one.

Typer (0.29 here) coerces every command-line value through a pydantic TypeAdapter (a core schema and
a validator) that it builds for each parameter of the command being run, used or not, at every
start. `install()` puts a lean coercion in front of it for the kinds of values our commands
take (text, flags, whole numbers, choices, paths and lists of these). It gives the value typer
would give, with typer's own choice and path checks; any value it does not take as plainly
valid (a bad number, an unknown choice, anything unusual) goes to typer's own coercion, built
then, so every error is typer's, word for word. Help and parsing are typer's: only the
coercion of parsed values is replaced.
`tests/test_lean_params.py` holds the two to the same results for every parameter we have.

A typer without that coercion (older ones coerce with click, and need no pydantic) is left as
it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

#: Whole numbers as pydantic takes them from text without doubt: optional sign and digits.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")


class _Unsure(Exception):
    """The lean coercion does not take the value as plainly valid: typer's own decides."""


def install() -> bool:
    """Put the lean coercion in front of typer's, when typer has the coercion it replaces.
    True when installed (or already), False when this typer needs none."""
    try:
        from typer import _coercion, _param_types, core
    except ImportError:
        return False
    typers_own: Callable[[Any], Any] | None = getattr(core, "build_runtime_param", None)
    if typers_own is None or not hasattr(_coercion, "RuntimeParam"):
        return False
    if getattr(typers_own, "lean", False):
        return True

    @dataclass(frozen=True)
    class LeanRuntimeParam(_coercion.RuntimeParam):
        descriptor: Any

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return _coerced(self.annotation, self.parameter_info, value, ctx, _param_types)
            except _Unsure:
                own = typers_own(self.descriptor)  # type: ignore[misc]
                return own._coerce_value(value, param=param, ctx=ctx)

    def build_runtime_param(descriptor: Any) -> Any:
        if descriptor.file_annotation is not None or not _handled(descriptor):
            return typers_own(descriptor)
        return LeanRuntimeParam(
            annotation=descriptor.annotation,
            parameter_info=descriptor.parameter_info,
            descriptor=descriptor,
        )

    build_runtime_param.lean = True  # type: ignore[attr-defined]
    core.build_runtime_param = build_runtime_param  # type: ignore[attr-defined]
    return True


def _handled(descriptor: Any) -> bool:
    """Whether the parameter is of a kind the lean coercion knows, with no option that would
    change typer's result (a custom parser, clamping, a path resolved or that must exist)."""
    info = descriptor.parameter_info
    if getattr(info, "parser", None) is not None or getattr(info, "clamp", False):
        return False
    annotation = descriptor.annotation
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    if annotation is Path:
        return not (info.exists or info.resolve_path or info.allow_dash or info.path_type)
    return annotation in (str, bool, int) or (
        isinstance(annotation, type) and issubclass(annotation, Enum)
    )


def _coerced(annotation: Any, info: Any, value: Any, ctx: Any, param_types: Any) -> Any:
    if get_origin(annotation) is list:
        if not isinstance(value, list | tuple):
            raise _Unsure
        (item,) = get_args(annotation)
        return [_coerced(item, info, one, ctx, param_types) for one in value]
    coerce = _LEAF.get(annotation, _choice)  # _handled let through nothing else
    return coerce(annotation, info, value, (ctx, param_types))


def _text(annotation: Any, info: Any, value: Any, context: Any) -> str:
    if not isinstance(value, str):
        raise _Unsure
    return value


def _flag(annotation: Any, info: Any, value: Any, context: Any) -> bool:
    if not isinstance(value, bool):
        raise _Unsure
    return value


def _whole_number(annotation: Any, info: Any, value: Any, context: Any) -> int:
    if type(value) is int:  # a default: not text, not True or False
        number = value
    elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        number = int(value)
    else:
        raise _Unsure
    if (info.min is not None and number < info.min) or (info.max is not None and number > info.max):
        raise _Unsure  # out of range: typer says so
    return number


def _path(annotation: Any, info: Any, value: Any, context: Any) -> Any:
    if not isinstance(value, str):
        raise _Unsure
    ctx, param_types = context
    try:
        return param_types.coerce_cli_path(Path(value), info, path_type=Path, ctx=ctx)
    except Exception:
        raise _Unsure from None


def _choice(annotation: Any, info: Any, value: Any, context: Any) -> Any:
    ctx, param_types = context
    try:
        return param_types.coerce_cli_choice(
            value, choices=tuple(annotation), case_sensitive=info.case_sensitive, ctx=ctx
        )
    except ValueError:
        raise _Unsure from None


_LEAF: dict[Any, Callable[[Any, Any, Any, Any], Any]] = {
    str: _text,
    bool: _flag,
    int: _whole_number,
    Path: _path,
}
