"""What the other model modules share: the frozen base, pack numbers and answered values."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict

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
