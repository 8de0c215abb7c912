"""Finding cards: a small query language over the decks and the review log, and the orders to list them in.

The card browser (`b` in the app) and `quizapp cards QUERY` share it. A query is words
separated by spaces; a card must match every one:

| word | matches the cards |
|---|---|
| `gelu` | whose title, id, prompt or tags contain the text (any case; `σ` finds `\\sigma`) |
| `"bias correction"` | containing the phrase |
| `deck:optimizers` | of that deck (`*` is any text: `deck:opt*`) |
| `tag:adam` | with that tag (the deck's tags count) |
| `kind:steps` | of that kind: flash, symbolic, numeric, choice, steps |
| `id:adam-*` | whose card id (or full id, `deck/card`) matches |
| `is:new` `is:learning` `is:review` | in that FSRS state (learning includes relearning) |
| `is:due` | due now (new cards are not due: they wait for the daily limit) |
| `is:suspended` `is:buried` `is:leech` | set aside, or a leech |
| `-WORD` | not matching WORD (`-is:suspended`) |
| `sort:due` | earliest due first; `sort:stability`, `sort:retrievability` (weakest first), `sort:lapses` (most first), `sort:deck` (deck order, the default) |

Rows are built once from the log (`load_rows`: one read of the states and flags, the
retrievability of each card at `now`) and then searched in memory (`search_rows`), so that
the browser can filter as the learner types.
"""

from __future__ import annotations

import fnmatch
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import fsrs

from engine.decks.cards import Card
from engine.errors import EngineError
from engine.render import render_math_text
from engine.storage import CardRecord, to_utc
from engine.storage.flags import CardFlags
from engine.study.scheduling import StudyScheduler
from engine.study.session import StudySession

Status = Literal["new", "learning", "review"]
SortKey = Literal["deck", "due", "stability", "retrievability", "lapses"]
SORT_KEYS: Final[tuple[SortKey, ...]] = ("deck", "due", "stability", "retrievability", "lapses")
IS_VALUES: Final = ("new", "learning", "review", "due", "suspended", "buried", "leech")
FIELDS: Final = ("deck", "tag", "kind", "id", "is", "sort")
_WORD = re.compile(r'(-?)(?:(\w+):)?("[^"]*"?|\S+)')


class QueryError(EngineError):
    """A query that cannot be read (an unknown `is:` or `sort:`, say); the message says which word."""


@dataclass(frozen=True)
class CardRow:
    """A card as the browser lists it: where it stands in the schedule, and whether it is set aside."""

    card: Card
    record: CardRecord | None  # None: never studied
    flags: CardFlags | None
    retrievability: float | None  # the chance of recalling it now (None for a new card)
    due_now: bool
    text: str  # what free words are searched in, lower-cased

    @property
    def status(self) -> Status:
        if self.record is None:
            return "new"
        return "review" if self.record.card.state == fsrs.State.Review else "learning"

    @property
    def lapses(self) -> int:
        return self.record.lapses if self.record is not None else 0

    @property
    def stability(self) -> float | None:
        return self.record.card.stability if self.record is not None else None

    @property
    def suspended(self) -> bool:
        return self.flags is not None and self.flags.suspended

    def buried(self, now: datetime | None = None) -> bool:
        return self.flags is not None and self.flags.buried(now)

    @property
    def leech(self) -> bool:
        return self.flags is not None and self.flags.leech


@dataclass(frozen=True)
class Term:
    field: str  # "" for free text
    value: str
    negated: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...] = ()
    sort: SortKey = "deck"


def parse_query(text: str) -> Query:
    """The query `text` as terms and an order; `QueryError` names a word it cannot read."""
    terms: list[Term] = []
    sort: SortKey = "deck"
    for match in _WORD.finditer(text):
        negated, name, value = match.group(1) == "-", (match.group(2) or "").lower(), match.group(3)
        if not name and value.endswith(":") and value[:-1].lower() in FIELDS:
            continue  # `is:` alone: a field still being typed
        if value.startswith('"'):
            value = value.strip('"')
        if name and name not in FIELDS:  # `x:y` that is no field is text (`f:R→R`)
            value, name = f"{name}:{value}", ""
        if not value:  # `deck:""`
            continue
        value = value.lower()
        if name == "is" and value not in IS_VALUES:
            raise QueryError(f"is:{value} is not a state: use one of {', '.join(IS_VALUES)}")
        if name == "sort":
            if value not in SORT_KEYS or negated:
                raise QueryError(f"sort:{value} is not an order: use one of {', '.join(SORT_KEYS)}")
            sort = next(key for key in SORT_KEYS if key == value)
            continue
        terms.append(Term(name, value, negated))
    return Query(tuple(terms), sort)


def load_rows(scheduler: StudyScheduler, cards: Sequence[Card], now: datetime | None = None) -> list[CardRow]:
    """Every card with its state, flags and retrievability at `now`, in deck order (one read of the log)."""
    moment = to_utc(now)
    ids = [card.full_id for card in cards]
    records = scheduler.store.card_records(ids)
    flags = scheduler.store.card_flags(ids)
    rows = []
    for card in cards:
        record = records.get(card.full_id)
        recall = None
        if record is not None:
            recall = float(scheduler.scheduler.get_card_retrievability(record.card, moment))
        rows.append(
            CardRow(
                card,
                record,
                flags.get(card.full_id),
                recall,
                record is not None and record.due <= moment,
                _haystack(card),
            )
        )
    return rows


def search_rows(rows: Sequence[CardRow], query: Query, now: datetime | None = None) -> list[CardRow]:
    """The rows matching every term of `query`, in its order."""
    moment = to_utc(now)
    found = [row for row in rows if all(_matches(row, term, moment) != term.negated for term in query.terms)]
    return sorted(found, key=_ORDERS[query.sort]) if query.sort != "deck" else found


def study_now(
    scheduler: StudyScheduler, cards: Sequence[Card], *, seed: int | None = None, now: datetime | None = None
) -> StudySession:
    """A study session over exactly `cards`, due or not, set aside or not: the learner chose them.

    Its answers are recorded and scheduled like any study answer.
    """
    deck_ids = list(dict.fromkeys(card.deck_id for card in cards))
    session_id = scheduler.store.start_session("study", deck_ids, now=now)
    seeds = random.Random(seed) if seed is not None else random.SystemRandom()
    return StudySession(scheduler.store, list(cards), session_id, scheduler=scheduler, seeds=seeds)


# -- matching and ordering --------------------------------------------------------------------


def _haystack(card: Card) -> str:
    parts = [card.title, card.full_id, card.prompt, render_math_text(card.prompt), " ".join(card.tags)]
    return "\n".join(parts).lower()


def _glob(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value.lower(), pattern)


def _matches(row: CardRow, term: Term, now: datetime) -> bool:
    card = row.card
    if term.field == "":
        return term.value in row.text
    if term.field == "deck":
        return _glob(term.value, card.deck_id)
    if term.field == "tag":
        return any(_glob(term.value, tag) for tag in card.tags)
    if term.field == "kind":
        return _glob(term.value, card.kind)
    if term.field == "id":
        return _glob(term.value, card.card_id) or _glob(term.value, card.full_id)
    return _IS[term.value](row, now)


_IS: Final[dict[str, Callable[[CardRow, datetime], bool]]] = {
    "new": lambda row, now: row.status == "new",
    "learning": lambda row, now: row.status == "learning",
    "review": lambda row, now: row.status == "review",
    "due": lambda row, now: row.due_now,
    "suspended": lambda row, now: row.suspended,
    "buried": lambda row, now: row.buried(now),
    "leech": lambda row, now: row.leech,
}

_NEVER: Final = float("inf")
_ORDERS: Final[dict[SortKey, Callable[[CardRow], tuple[float, ...]]]] = {
    "due": lambda row: (row.record.due.timestamp() if row.record is not None else _NEVER,),
    "stability": lambda row: (row.stability if row.stability is not None else _NEVER,),
    "retrievability": lambda row: (row.retrievability if row.retrievability is not None else _NEVER,),
    "lapses": lambda row: (-row.lapses,),
}
