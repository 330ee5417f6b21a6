"""The one base model every schema derives from.

Strict (no silent coercion of "30" into 30), frozen (a report cannot be edited
after it is made) and closed (an unknown field is an error, never ignored).
Collections are tuples so that frozen really means immutable; in Python code
build them as tuples, JSON arrays are accepted as they are.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")
