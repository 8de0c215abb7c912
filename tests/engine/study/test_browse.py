"""Finding cards (engine.study.browse): the query language, the states it sees, the orders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.checking.verdict import Verdict
from engine.decks.cards import Card
from engine.decks.catalog import Catalog
from engine.storage import ReviewStore
from engine.study.browse import QueryError, Term, load_rows, parse_query, search_rows, study_now
from engine.study.scheduling import AGAIN, EASY, GOOD, StudyScheduler

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

DECKS = {
    "opt.md": """
        ---
        title: Optimizers
        id: optimizers
        tags: [optimization]
        ---

        ## Adam's first step {#adam-one}

        What is Adam's first step, with its bias correction?

        ### Answer
        lr·sign(g).

        ## AdamW {#adamw}

        How does AdamW decay weights?

        ### Answer
        Apart from the gradient.

        ## SGD {#sgd}

        ```quiz
        kind: numeric
        given:
          g: 2
        answer: -0.1*g
        ```

        One SGD step with lr 0.1 from gradient {g}?
        """,
    "act.md": """
        ---
        title: Activations
        id: activations
        tags: [activations, smooth]
        ---

        ## GELU at a point {#gelu}

        What is $\\Phi(1)$, the GELU gate at 1?

        ### Answer
        0.841.
        """,
}


@pytest.fixture
def cards(write_deck: Callable[..., Path]) -> list[Card]:
    paths = [write_deck(text, name) for name, text in DECKS.items()]
    return [card for deck in Catalog.load(paths).decks for card in deck.cards]


@pytest.fixture
def scheduler(store: ReviewStore) -> Iterator[StudyScheduler]:
    yield StudyScheduler(store)


def answer(scheduler: StudyScheduler, card_id: str, rating: int, when: datetime) -> None:
    verdict = Verdict(rating >= GOOD, "x", "x", "", score=float(rating >= GOOD))
    scheduler.store.record_review(
        None,
        card_id,
        0,
        "x",
        verdict,
        rating,
        5000,
        now=when,
        reschedule=scheduler.rescheduler(card_id, when),
    )


def ids(scheduler: StudyScheduler, cards: list[Card], query: str) -> list[str]:
    rows = load_rows(scheduler, cards, NOW)
    return [row.card.full_id for row in search_rows(rows, parse_query(query), NOW)]


def test_the_query_syntax() -> None:
    query = parse_query('deck:Opt* -is:suspended "bias correction" f:R→R sort:lapses')
    assert query.sort == "lapses"
    assert query.terms == (
        Term("deck", "opt*"),
        Term("is", "suspended", negated=True),
        Term("", "bias correction"),
        Term("", "f:r→r"),  # not a field: text
    )
    assert parse_query("adam is:").terms == (Term("", "adam"),)  # a field still being typed


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("is:sleepy", "is:sleepy is not a state"),
        ("sort:title", "not an order"),
        ("-sort:due", "not an order"),
    ],
)
def test_a_query_that_cannot_be_read(text: str, complaint: str) -> None:
    with pytest.raises(QueryError, match=complaint):
        parse_query(text)


def test_text_deck_tag_kind_and_id(scheduler: StudyScheduler, cards: list[Card]) -> None:
    assert ids(scheduler, cards, "adam") == ["optimizers/adam-one", "optimizers/adamw"]
    assert ids(scheduler, cards, '"bias correction"') == ["optimizers/adam-one"]
    assert ids(scheduler, cards, "Φ") == ["activations/gelu"]  # the prompt's $\Phi$, as shown
    assert ids(scheduler, cards, "deck:act*") == ["activations/gelu"]
    assert ids(scheduler, cards, "tag:smooth") == ["activations/gelu"]
    assert ids(scheduler, cards, "kind:numeric") == ["optimizers/sgd"]
    assert ids(scheduler, cards, "id:adam*") == ["optimizers/adam-one", "optimizers/adamw"]
    assert ids(scheduler, cards, "deck:optimizers -adam") == ["optimizers/sgd"]


def test_states_and_flags(scheduler: StudyScheduler, cards: list[Card]) -> None:
    store = scheduler.store
    answer(scheduler, "optimizers/adam-one", EASY, NOW - timedelta(days=30))  # in review, due by now
    answer(scheduler, "optimizers/adamw", AGAIN, NOW - timedelta(seconds=20))  # learning, due in 40 s
    store.suspend("optimizers/sgd", NOW)
    store.bury("activations/gelu", NOW)
    assert ids(scheduler, cards, "is:review") == ["optimizers/adam-one"]
    assert ids(scheduler, cards, "is:learning") == ["optimizers/adamw"]
    assert ids(scheduler, cards, "is:new") == ["optimizers/sgd", "activations/gelu"]
    assert ids(scheduler, cards, "is:due") == ["optimizers/adam-one"]
    assert ids(scheduler, cards, "is:suspended") == ["optimizers/sgd"]
    assert ids(scheduler, cards, "is:buried") == ["activations/gelu"]
    assert ids(scheduler, cards, "is:leech") == []


def test_the_orders(scheduler: StudyScheduler, cards: list[Card]) -> None:
    answer(scheduler, "optimizers/adamw", EASY, NOW - timedelta(days=40))
    answer(scheduler, "optimizers/adamw", AGAIN, NOW - timedelta(days=20))  # a lapse: weaker
    answer(scheduler, "optimizers/adam-one", EASY, NOW - timedelta(days=2))
    assert ids(scheduler, cards, "sort:due")[:2] == ["optimizers/adamw", "optimizers/adam-one"]
    assert ids(scheduler, cards, "sort:lapses")[0] == "optimizers/adamw"
    assert ids(scheduler, cards, "sort:stability")[:2] == ["optimizers/adamw", "optimizers/adam-one"]
    assert ids(scheduler, cards, "sort:retrievability")[:2] == ["optimizers/adamw", "optimizers/adam-one"]
    assert ids(scheduler, cards, "sort:due")[2:] == ["optimizers/sgd", "activations/gelu"]  # new ones last
    rows = load_rows(scheduler, cards, NOW)
    adamw = next(row for row in rows if row.card.card_id == "adamw")
    assert adamw.lapses == 1
    assert adamw.retrievability is not None
    assert 0 < adamw.retrievability < 1


def test_study_now_asks_exactly_the_chosen_cards(scheduler: StudyScheduler, cards: list[Card]) -> None:
    scheduler.store.suspend("optimizers/sgd", NOW)
    chosen = [card for card in cards if card.card_id == "sgd"]
    session = study_now(scheduler, chosen, seed=1)
    assert session.queue == chosen  # suspended, not due: the learner asked for it
    instance = session.next_instance()
    assert instance is not None
    session.submit("-0.2", session.check("-0.2"), 5000)
    assert scheduler.store.card_record("optimizers/sgd") is not None
