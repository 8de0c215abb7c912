"""The verdict on an answer: a plain record, cheap to import (the review log stores it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Verdict:
    correct: bool
    interpreted: str | None
    expected: str
    feedback: str
    mistake: str | None = None
    error: str | None = None
    score: float = 0.0
    part: str | None = None  # the step this verdict is about, on a steps card
    parts: tuple[Verdict, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
