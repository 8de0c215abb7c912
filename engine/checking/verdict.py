"""The verdict on an answer: a plain record, cheap to import (the review log stores it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Final

AUTO_MISTAKE: Final = "auto:"
"""How `Verdict.mistake` names a mistake the checker diagnosed itself (`auto:factor-2`,
`engine.checking.diagnosis`), apart from the mistakes decks and references name. Here, with
the record, so that reading the log (the statistics) needs no numpy."""


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
    judged: bool = True
    """False when the answer is neither right nor wrong, so it is never recorded against the
    learner: the checker itself failed on a readable answer (a bug of ours, logged, with
    `error` set), or a symbolic answer could not be compared with the expected one (the two
    undefined almost everywhere, say: `error` is None and `feedback` says so)."""

    @property
    def undecided(self) -> bool:
        """True when the answer could not be compared with the expected one (not a failure
        of the checker): the learner is told so, and it is not counted."""
        return not self.judged and self.error is None

    @property
    def readable(self) -> bool:
        """False when the answer could not be read at all (a typo, an unknown name): such an
        answer is never recorded; the learner fixes it and submits again."""
        return self.interpreted is not None or self.error is None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
