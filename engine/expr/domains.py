"""Where a variable of a symbolic card lives, and how random test points are drawn there.

A card writes `p: (0, 1)` for a probability or `n: positive integer`; without a domain a
variable is a real number. Points are drawn at several scales (mostly moderate, some
large, some tiny) because near misses hide at the extremes: `√(v + ε)` and `√v + ε` only
part ways when v and ε are small.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.errors import EngineError, ExpressionError
from engine.expr.parser import ParseOptions, parse

if TYPE_CHECKING:  # numpy is imported where samples are drawn: the deck list does not wait for it
    import numpy as np
    import numpy.typing as npt


class DomainError(EngineError):
    """A domain declaration that cannot be read."""


@dataclass(frozen=True)
class Domain:
    """An interval of the reals (each end excluded unless `closed` says so), possibly
    integers only."""

    low: float = -math.inf
    high: float = math.inf
    integer: bool = False
    text: str = "real"
    closed: tuple[bool, bool] = (False, False)

    def sympy_assumptions(self) -> dict[str, bool]:
        """Facts sympy may use: positivity and integrality."""
        facts: dict[str, bool] = {}
        if self.low >= 0:
            facts["nonnegative" if self.low == 0 else "positive"] = True
        elif self.high <= 0:
            facts["nonpositive" if self.high == 0 else "negative"] = True
        if self.integer:
            facts["integer"] = True
        return facts

    def sample(self, rng: np.random.Generator, count: int) -> npt.NDArray[np.float64]:
        """`count` points inside the domain, spread over several scales."""
        import numpy as np

        if self.integer:
            first, last = self.integer_range()
            return rng.integers(first, last + 1, size=count).astype(np.float64)
        if math.isfinite(self.low) and math.isfinite(self.high):
            width = self.high - self.low
            return self.low + width * rng.uniform(0.001, 0.999, size=count)
        if math.isfinite(self.low) or math.isfinite(self.high):
            start = self.low if math.isfinite(self.low) else self.high
            direction = 1.0 if math.isfinite(self.low) else -1.0
            return start + direction * _magnitudes(rng, count)
        signs = rng.choice([-1.0, 1.0], size=count)
        return signs * _magnitudes(rng, count)

    def integer_range(self) -> tuple[int, int]:
        """The integers an integer domain is sampled from: all of them when both ends are
        finite, else ten from the finite end (1 to 10 for `positive integer`), else −10 to 10.

        Raises `DomainError` when no integer lies in the domain or an end is too large.
        """
        ends = [end for end in (self.low, self.high) if math.isfinite(end)]
        if any(abs(end) > _MAX_INTEGER for end in ends):
            raise DomainError(f"the ends of integer domain {self.text!r} must lie within ±{_MAX_INTEGER:.0e}")
        first = _first_integer(self.low, self.closed[0]) if math.isfinite(self.low) else None
        last = _last_integer(self.high, self.closed[1]) if math.isfinite(self.high) else None
        if first is None and last is None:
            first, last = -10, 10
        elif last is None:
            assert first is not None
            last = first + 9
        elif first is None:
            first = last - 9
        if first > last:
            raise DomainError(f"no integer lies in {self.text!r}")
        return first, last


_MAX_INTEGER = 1e15


def _first_integer(low: float, closed: bool) -> int:
    """The least integer inside the domain's lower end."""
    return math.ceil(low) if closed else math.floor(low) + 1


def _last_integer(high: float, closed: bool) -> int:
    """The greatest integer inside the domain's upper end."""
    return math.floor(high) if closed else math.ceil(high) - 1


def _magnitudes(rng: np.random.Generator, count: int) -> npt.NDArray[np.float64]:
    """Positive numbers: 70% in (0, 3), 15% tiny (1e-4 to 1e-1), 15% larger (3 to 10)."""
    import numpy as np

    scale = rng.uniform(size=count)
    moderate = rng.uniform(0.05, 3.0, size=count)
    tiny = 10.0 ** rng.uniform(-4.0, -1.0, size=count)
    large = rng.uniform(3.0, 10.0, size=count)
    return np.where(scale < 0.7, moderate, np.where(scale < 0.85, tiny, large))


REAL = Domain()

_NAMED = {
    "real": REAL,
    "positive": Domain(0.0, math.inf, text="positive"),
    "nonnegative": Domain(0.0, math.inf, text="nonnegative"),
    "negative": Domain(-math.inf, 0.0, text="negative"),
    "integer": Domain(integer=True, text="integer"),
    "positive integer": Domain(0.0, math.inf, integer=True, text="positive integer"),
    "nonnegative integer": Domain(
        0.0, math.inf, integer=True, closed=(True, False), text="nonnegative integer"
    ),
    "probability": Domain(0.0, 1.0, text="(0, 1)"),
}
_INTERVAL = re.compile(r"^\s*([(\[])\s*([^,]+?)\s*,\s*([^,]+?)\s*([)\]])\s*(integer)?\s*$")


def parse_domain(spec: object) -> Domain:
    """Read a domain from a card: `real`, `positive`, `(0, 1)`, `[0, 10]`, `positive integer`.

    YAML gives `[0, 10]` as a list; both it and the string forms are accepted. The ends
    are expressions of numbers (`(0, pi)`), read with the expression parser.
    """
    if spec is None:
        return REAL
    if isinstance(spec, list):
        if len(spec) != 2:
            raise DomainError(f"an interval needs two ends, got {spec!r}")
        spec = f"[{spec[0]}, {spec[1]}]"
    text = str(spec).strip()
    if text in _NAMED:
        return _NAMED[text]
    match = _INTERVAL.match(text)
    if match is None:
        known = ", ".join(sorted(_NAMED))
        raise DomainError(f"unknown domain {text!r} (use an interval like (0, 1) or one of: {known})")
    low, high = _end(match.group(2)), _end(match.group(3))
    if not low < high:
        raise DomainError(f"empty interval {text!r}")
    closed = (match.group(1) == "[", match.group(4) == "]")
    domain = Domain(low, high, integer=bool(match.group(5)), text=text, closed=closed)
    if domain.integer:
        domain.integer_range()  # raises DomainError if no integer can be drawn
    return domain


def _end(text: str) -> float:
    if text in ("inf", "+inf", "∞"):
        return math.inf
    if text in ("-inf", "−∞", "-∞"):
        return -math.inf
    try:
        from engine.expr.numeric import evaluate_constant

        return evaluate_constant(parse(text, ParseOptions(allow_names=False, allow_lists=False)))
    except ExpressionError as error:
        raise DomainError(f"cannot read interval end {text!r}: {error.message}") from error
