"""What the other model modules share: the frozen base, pack numbers and answered values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, GetJsonSchemaHandler, Strict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

#: An answered finding: yes/no, a number, one choice or a list of choices.
Value = Union[bool, int, float, str, tuple[str, ...]]

#: A number a rule pack gives: an int or a float, never true/false or quoted text, never inf or nan.
PackNumber = Annotated[float, Strict(), AllowInfNan(False)]
#: Likelihood ratios and priors a pack may give. Beyond these a figure is a typo or a certainty
#: that odds cannot carry, and the products of a few dozen rules would leave floating point.
LR_MIN, LR_MAX = 0.001, 1000.0
PRIOR_MIN, PRIOR_MAX = 0.001, 0.999
LikelihoodRatio = Annotated[PackNumber, Field(ge=LR_MIN, le=LR_MAX)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


@dataclass(frozen=True)
class FileForm:
    """How a field is written in a rule file where that differs from the loaded form (a
    strength name for a weight, a finding id for a condition): `schema` turns the loaded
    form's JSON Schema into the file's. Put it in the field's Annotated metadata."""

    schema: Callable[[JsonSchemaValue], JsonSchemaValue]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return self.schema(handler(core_schema))


def only_id_required(schema: dict[str, Any]) -> None:
    """A model's file form where a later pack may give just the id and the keys it changes."""
    schema["required"] = ["id"]
