"""The condition language of rules and red flags: a finding test, all, any, not, at_least.

Conditions evaluate with three-valued logic: True (holds), False (answered and does not hold)
or None (depends on an unknown finding).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Protocol, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Strict, Tag, model_validator
from pydantic.json_schema import JsonSchemaValue

from nmt_assess.models.base import FileForm, Frozen, PackNumber, Value


class Findings(Protocol):
    """What conditions read: the answer to a finding, or None when it is unknown."""

    def get(self, key: str, /) -> Value | None: ...


class FindingTest(Frozen):
    """A test of one finding: yes (default), an explicit value, a comparison, or choice overlap."""

    finding: str
    is_: Annotated[bool, Strict()] | Annotated[str, Strict()] | None = Field(
        default=None, alias="is"
    )
    gt: PackNumber | None = None
    gte: PackNumber | None = None
    lt: PackNumber | None = None
    lte: PackNumber | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    any_of: tuple[str, ...] | None = None
    all_of: tuple[str, ...] | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    @model_validator(mode="after")
    def _one_operator(self) -> FindingTest:
        if len(self.operators()) > 1:
            raise ValueError("use one test per finding: " + ", ".join(self.operators()))
        return self

    def operators(self) -> list[str]:
        names = {"is_": "is", "in_": "in"}
        fields = ("is_", "gt", "gte", "lt", "lte", "in_", "any_of", "all_of")
        return [names.get(f, f) for f in fields if getattr(self, f) is not None]

    def findings(self) -> Iterator[str]:
        yield self.finding

    def parts(self) -> tuple[Condition, ...]:
        """The conditions this one combines (none: a test is a leaf)."""
        return ()


class AllOf(Frozen):
    all: tuple[Condition, ...] = Field(min_length=1)

    def parts(self) -> tuple[Condition, ...]:
        return self.all

    def findings(self) -> Iterator[str]:
        for part in self.all:
            yield from part.findings()


class AnyOf(Frozen):
    any: tuple[Condition, ...] = Field(min_length=1)

    def parts(self) -> tuple[Condition, ...]:
        return self.any

    def findings(self) -> Iterator[str]:
        for part in self.any:
            yield from part.findings()


class Not(Frozen):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    def findings(self) -> Iterator[str]:
        yield from self.not_.findings()

    def parts(self) -> tuple[Condition, ...]:
        return (self.not_,)


class AtLeast(Frozen):
    at_least: Annotated[int, Strict()] = Field(ge=1)
    of: tuple[Condition, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _reachable(self) -> AtLeast:
        if self.at_least > len(self.of):
            raise ValueError(f"at_least {self.at_least} of only {len(self.of)} conditions")
        return self

    def findings(self) -> Iterator[str]:
        for part in self.of:
            yield from part.findings()

    def parts(self) -> tuple[Condition, ...]:
        return self.of


def _condition_kind(raw: Any) -> str | None:
    if isinstance(raw, str):
        return "finding"
    if isinstance(raw, Mapping):
        for key in ("finding", "all", "any", "not", "at_least"):
            if key in raw:
                return key
        return None
    if isinstance(raw, BaseModel):
        return {FindingTest: "finding", AllOf: "all", AnyOf: "any", Not: "not"}.get(
            type(raw), "at_least"
        )
    return None


def _with_shorthand(schema: JsonSchemaValue) -> JsonSchemaValue:
    shorthand = {"type": "string", "description": "A yes/no finding's id: it is answered yes."}
    return {"anyOf": [shorthand, schema]}


def _shorthand(raw: Any) -> Any:
    """`tingling` is short for `{finding: tingling}` (the finding is answered yes)."""
    return {"finding": raw} if isinstance(raw, str) else raw


Condition = Annotated[
    Union[
        Annotated[FindingTest, Tag("finding")],
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[Not, Tag("not")],
        Annotated[AtLeast, Tag("at_least")],
    ],
    Discriminator(
        _condition_kind,
        custom_error_type="condition",
        custom_error_message=(
            "expected a finding id or a mapping with one of: finding, all, any, not, at_least"
        ),
    ),
    FileForm(_with_shorthand),
]


def expand_shorthand(value: Any) -> Any:
    if isinstance(value, str):
        return _shorthand(value)
    if isinstance(value, Mapping):
        out = dict(value)
        for key in ("all", "any", "of"):
            if isinstance(out.get(key), list | tuple):
                out[key] = [expand_shorthand(part) for part in out[key]]
        if "not" in out:
            out["not"] = expand_shorthand(out["not"])
        return out
    return value
