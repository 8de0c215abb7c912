"""What a deck holds once it is read: decks, cards, steps, tolerances and declared mistakes.

These are plain immutable records. Expressions are kept as the author wrote them (text
plus the line they came from) and parsed where they are used, so that a deck with one
bad formula still loads and the error points at its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, TypeAlias

from engine.expr.domains import Domain

CardKind = Literal["flash", "symbolic", "numeric", "choice", "steps", "cloze"]
CARD_KINDS: Final[tuple[CardKind, ...]] = ("flash", "symbolic", "numeric", "choice", "steps", "cloze")


@dataclass(frozen=True)
class Tolerance:
    """How close a numeric answer must be: |answer − expected| ≤ atol + rtol·|expected|.

    The default accepts answers rounded by hand to three significant figures (a
    relative error of at most 0.5%), and treats anything within 1e-6 of zero as zero.
    """

    rtol: float = 5e-3
    atol: float = 1e-6


PrecisionUnit = Literal["sig", "dp"]
PRECISION_UNITS: Final[dict[PrecisionUnit, str]] = {
    "sig": "significant figure",
    "dp": "decimal place",
}


@dataclass(frozen=True)
class Precision:
    """The precision a card asks for (`precision: 4 sig`, `precision: 3 dp`), and checks at.

    An answer is right when it is within one unit of the last asked-for place of the exact
    value (`engine.decks.kinds.numeric.band`): rounded either way, or cut off, it passes;
    with a digit fewer it does not. Stating the precision in the quiz block, rather than
    in the prompt's words with a hand-set tolerance beside it, keeps what the learner is
    told and what is checked one and the same (the prompt says it: `words`).
    """

    digits: int
    unit: PrecisionUnit

    @property
    def words(self) -> str:
        """ "4 significant figures", "1 decimal place", as the prompt says it."""
        noun = PRECISION_UNITS[self.unit]
        return f"{self.digits} {noun}{'' if self.digits == 1 else 's'}"


Accuracy: TypeAlias = Tolerance | Precision
"""What a numeric answer is checked at: a stated precision, or a tolerance."""


@dataclass(frozen=True)
class Formula:
    """An expression as written in a deck, with the line it is on."""

    text: str
    line: int


@dataclass(frozen=True)
class DeclaredMistake:
    """A wrong answer an author expects, and what to tell whoever gives it."""

    answer: Formula
    feedback: str
    name: str | None = None


@dataclass(frozen=True)
class Given:
    """One value of a numeric card: fixed, drawn at random, or derived from earlier ones."""

    name: str
    spec: object  # a number, a list, or a string (a sampler call or an expression)
    line: int


@dataclass(frozen=True)
class ReferenceUse:
    """A card's link to a torch reference (`engine.references`).

    `output` picks one output (numeric and choice cards; default: the reference's
    first); `inputs` maps some of the reference's inputs to formulas in the card's
    givens, the others being taken from givens of the same name, or torch's defaults.
    """

    name: str
    line: int
    output: str | None = None
    inputs: tuple[tuple[str, Formula], ...] = ()
    function: Formula | None = None  # for references that differentiate a function
    variables: tuple[str, ...] = ()  # the function's coordinates, in order


@dataclass(frozen=True)
class Step:
    """One part of a steps card: its own prompt, answer (or options), and precision or tolerance."""

    name: str
    prompt: str
    answer: Formula | None
    options: tuple[str, ...] = ()
    output: str | None = None  # the reference output this part asks for, if not its name
    tolerance: Tolerance = field(default_factory=Tolerance)
    mistakes: tuple[DeclaredMistake, ...] = ()
    line: int = 0
    precision: Precision | None = None

    @property
    def is_choice(self) -> bool:
        return bool(self.options)

    @property
    def accuracy(self) -> Accuracy:
        """What this part's answer is checked at: its precision when it states one."""
        return self.precision or self.tolerance

    @property
    def label(self) -> str:
        """The part as its prompt names it (`m̂₁`, `θ₁`, `eigenvalues (ascending)`), not its internal name."""
        from engine.render import render_math_text

        text = " ".join(render_math_text(self.prompt).split()).rstrip(" =:")
        return text or self.name


@dataclass(frozen=True)
class PlotSpec:
    """A function a card draws after it is answered (`plot:` in the quiz block).

    Where a person would rather look than read: the curve over `low..high` in `variable`,
    optionally its derivative (a formula, or computed numerically when `numeric_derivative`),
    and the point the question asked about, at the value of the given named `mark`.
    The function and the bounds may use the card's givens, so a schedule's curve can run
    to its own `T_max`.
    """

    function: Formula
    low: Formula
    high: Formula
    variable: str = "x"
    derivative: Formula | None = None
    numeric_derivative: bool = False
    mark: str | None = None
    label: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Card:
    deck_id: str
    card_id: str
    title: str
    kind: CardKind
    prompt: str
    explanation: str
    path: Path
    line: int  # the heading's line
    has_explicit_id: bool = True
    answer: Formula | None = None
    reference: ReferenceUse | None = None
    variables: dict[str, Domain] = field(default_factory=dict)
    given: tuple[Given, ...] = ()
    options: tuple[str, ...] = ()
    tolerance: Tolerance = field(default_factory=Tolerance)
    mistakes: tuple[DeclaredMistake, ...] = ()
    steps: tuple[Step, ...] = ()
    tags: tuple[str, ...] = ()
    plot: PlotSpec | None = None
    precision: Precision | None = None
    hints: tuple[str, ...] = ()
    """Progressive hints, shown one at a time on request; using one caps the suggested rating."""

    @property
    def full_id(self) -> str:
        """The card's identity (`deck-id/card-id`): progress belongs to it."""
        return f"{self.deck_id}/{self.card_id}"

    @property
    def accuracy(self) -> Accuracy:
        """What a numeric answer is checked at: the card's precision when it states one."""
        return self.precision or self.tolerance


@dataclass(frozen=True)
class Deck:
    id: str
    title: str
    path: Path
    tags: tuple[str, ...] = ()
    cards: tuple[Card, ...] = ()
    order: int = 0
    """Where the deck is listed among others: lower first, then by file name (`order:`)."""

    def card(self, card_id: str) -> Card | None:
        return next((c for c in self.cards if c.card_id == card_id), None)
