"""Problems found in decks, reported the way compilers do: `file:line: error: message`.

Editors jump to that form, and it is grep-able; every loader and validator returns a
list of these instead of raising, so one broken card never hides the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    path: Path
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {"file": str(self.path), "line": self.line, "severity": self.severity, "message": self.message}


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
