"""The life of an answer (engine.study.session): checked, rated, recorded with its schedule, re-rated, undone.

What matters is what the review log holds at every instant: one review and the card's
new schedule, written together, or neither.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.decks.catalog import Catalog
from engine.storage import ReviewStore
from engine.study.drill import DrillOptions, DrillSession
from engine.study.scheduling import AGAIN, EASY, GOOD, HARD, StudyScheduler
from engine.study.session import StudySession
from tests.conftest import FIXTURES

FIXTURE_DECK = FIXTURES / "study"


@pytest.fixture
def cards() -> list:  # type: ignore[type-arg]
    return list(Catalog.load([FIXTURE_DECK]).decks[0].cards)


def state_rows(store: ReviewStore) -> dict[str, tuple[str, str, int, int]]:
    """Every card's stored state, exactly as the table holds it."""
    with sqlite3.connect(store.path) as db:
        rows = db.execute("SELECT card_id, fsrs_json, due, reps, lapses FROM card_states").fetchall()
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


def start(store: ReviewStore, cards: list) -> StudySession:  # type: ignore[type-arg]
    return StudySession.start(store, StudyScheduler(store), cards, seed=3)


def test_an_answer_and_its_schedule_are_recorded_together(store: ReviewStore, cards: list) -> None:  # type: ignore[type-arg]
    session = start(store, cards)
    instance = session.next_instance()
    assert instance is not None
    assert instance.card.card_id == "half"
    verdict = session.check("0.4")
    answered = session.submit("0.4", verdict, duration_ms=12_000)
    assert answered.verdict is not None
    assert answered.verdict.correct
    assert answered.rating == answered.suggested == GOOD  # 12 s on a numeric card: neither slow nor fast
    (review,) = store.reviews()
    assert (review.card_id, review.answer, review.rating) == ("fixture/half", "0.4", GOOD)
    state = store.card_record("fixture/half")
    assert state is not None
    assert state.reps == 1


def test_the_suggested_rating_uses_the_card_kinds_time(store: ReviewStore, cards: list) -> None:  # type: ignore[type-arg]
    session = start(store, cards)
    session.next_instance()
    answered = session.submit("0.4", session.check("0.4"), duration_ms=45_000)
    assert answered.rating == GOOD  # a numeric card is given 30 s: 45 s is not slow
    session.advance()
    session.next_instance()
    answered = session.submit("σ(x)(1-σ(x))", session.check("σ(x)(1-σ(x))"), duration_ms=45_000)
    assert answered.rating == HARD  # a symbolic card is given 20 s: 45 s is slow


def test_rerating_recomputes_the_schedule_from_the_state_before(store: ReviewStore, cards: list) -> None:  # type: ignore[type-arg]
    session = start(store, cards)
    session.next_instance()
    session.submit("0.4", session.check("0.4"), duration_ms=12_000)
    as_good = state_rows(store)["fixture/half"]
    session.rate(AGAIN)
    assert store.reviews()[0].rating == AGAIN
    as_again = state_rows(store)["fixture/half"]
    assert as_again != as_good
    assert as_again[2] == 1
    session.rate(GOOD)
    assert state_rows(store)["fixture/half"] == as_good  # the same as if Good had been chosen first


def test_undo_restores_the_previous_state_exactly(store: ReviewStore, cards: list) -> None:  # type: ignore[type-arg]
    scheduler = StudyScheduler(store)
    first = StudySession.start(store, scheduler, cards[:1], seed=1)
    first.next_instance()
    first.submit("0.4", first.check("0.4"), duration_ms=5_000)
    first.end()
    before = state_rows(store)
    reviews_before = store.reviews()

    # Later the card comes back (learning step): answer it, re-rate, then undo.
    session = StudySession.start(store, scheduler, cards[:1], seed=2, now=None)
    session.queue = list(cards[:1])  # ask it again now, due or not
    instance = session.next_instance()
    session.submit("0.8", session.check("0.8"), duration_ms=5_000)
    session.rate(EASY)
    assert state_rows(store) != before
    again = session.undo()
    assert again is instance
    assert session.current is instance
    assert session.position == 0
    assert state_rows(store) == before  # byte for byte
    assert store.reviews() == reviews_before
    assert session.answered == []


def test_undo_of_a_first_answer_makes_the_card_new_again(store: ReviewStore, cards: list) -> None:  # type: ignore[type-arg]
    session = start(store, cards)
    session.next_instance()
    session.submit("0.4", session.check("0.4"), duration_ms=5_000)
    session.advance()
    session.next_instance()
    assert session.undo() is not None
    assert session.position == 0
    assert state_rows(store) == {}
    assert store.reviews() == []
    assert store.new_cards_introduced_today() == 0
    assert session.undo() is None  # nothing left to take back


def test_a_flash_card_is_recorded_with_its_self_rating(store: ReviewStore, cards: list) -> None:  # type: ignore[type-arg]
    session = start(store, [c for c in cards if c.kind == "flash"])
    session.next_instance()
    answered = session.submit("", None, 3_000, rating=HARD)
    assert answered.correct
    assert answered.rating == HARD
    (review,) = store.reviews()
    assert review.correct
    assert review.rating == HARD
    assert store.card_record("fixture/why-normalise") is not None


def test_an_unreadable_answer_is_never_recorded(store: ReviewStore, cards: list) -> None:  # type: ignore[type-arg]
    session = start(store, cards)
    session.next_instance()
    verdict = session.check("0.4 +* 2")
    assert not verdict.readable
    assert verdict.error
    with pytest.raises(ValueError):
        session.submit("0.4 +* 2", verdict, 1_000)
    assert store.reviews() == []
    assert state_rows(store) == {}


def test_a_drill_logs_without_scheduling_unless_asked(store: ReviewStore, cards: list) -> None:  # type: ignore[type-arg]
    checked = [c for c in cards if c.kind != "flash"]
    drill = DrillSession.start(store, checked, DrillOptions(count=1, seed=1))
    instance = drill.next_instance()
    assert instance is not None
    drill.skip("?", 1_000)
    assert drill.finished
    (review,) = store.reviews()
    assert review.mode == "drill"
    assert review.rating is None
    assert state_rows(store) == {}

    scheduling = DrillSession.start(store, checked, DrillOptions(count=1, seed=1, schedule=True))
    scheduling.next_instance()
    scheduling.skip("?", 1_000)
    assert len(state_rows(store)) == 1


def test_the_review_and_the_schedule_share_one_transaction(store: ReviewStore, cards: list) -> None:  # type: ignore[type-arg]
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)  # the connection the store writes with
    session = start(store, cards)
    session.next_instance()
    session.submit("0.4", session.check("0.4"), duration_ms=5_000)
    store._db.set_trace_callback(None)
    writes = [
        s.split()[0].upper() for s in statements if s.split()[0].upper() in {"BEGIN", "INSERT", "COMMIT"}
    ]
    insert_review = next(i for i, s in enumerate(statements) if "INSERT INTO reviews" in s)
    insert_state = next(i for i, s in enumerate(statements) if "INSERT INTO card_states" in s)
    begin = max(i for i, s in enumerate(statements[:insert_review]) if s.startswith("BEGIN"))
    commit = next(i for i, s in enumerate(statements) if i > insert_state and s.startswith("COMMIT"))
    assert begin < insert_review < insert_state < commit
    assert not any(s.startswith("COMMIT") for s in statements[begin + 1 : insert_state])
    assert writes.count("COMMIT") >= 1


def test_a_failing_schedule_leaves_no_review(store: ReviewStore) -> None:
    def broken(before: object, rating: int) -> object:
        raise RuntimeError("fsrs failed")

    with pytest.raises(RuntimeError):
        store.record_review(None, "d/c", 0, "x", None, 3, 1, reschedule=broken)  # type: ignore[arg-type]
    assert store.reviews() == []
    assert state_rows(store) == {}


KILL_BETWEEN = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from engine.decks.catalog import Catalog
    from engine.study.scheduling import StudyScheduler
    from engine.study.session import StudySession
    from engine.storage import ReviewStore

    store = ReviewStore.open(Path(sys.argv[1]))
    cards = list(Catalog.load([Path(sys.argv[2])]).decks[0].cards)
    session = StudySession.start(store, StudyScheduler(store), cards, seed=1)
    session.next_instance()
    session.submit("0.4", session.check("0.4"), 5000)  # the first answer: committed
    session.advance()
    session.next_instance()

    def kill_after_the_review_is_written(statement):
        if "INSERT INTO card_states" in statement:  # the review is in; the schedule is next
            os.kill(os.getpid(), signal.SIGKILL)

    store._db.set_trace_callback(kill_after_the_review_is_written)
    session.submit("sigmoid(x)", session.check("sigmoid(x)"), 5000)
    """
)


def test_a_kill_between_the_review_and_the_schedule_keeps_neither(tmp_path: Path) -> None:
    database = tmp_path / "quizapp.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN, str(database), str(FIXTURE_DECK)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    with ReviewStore.open(database) as store:
        assert [r.card_id for r in store.reviews()] == ["fixture/half"]
        assert set(state_rows(store)) == {"fixture/half"}
        before = json.loads(state_rows(store)["fixture/half"][0])
        assert before["card_id"]  # the first answer's schedule, whole


def test_a_card_whose_stored_state_is_damaged_is_scheduled_afresh(store: ReviewStore, cards: list) -> None:  # type: ignore[type-arg]
    session = start(store, cards[:1])
    session.next_instance()
    session.submit("0.4", session.check("0.4"), duration_ms=5_000)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE card_states SET fsrs_json = 'not json' WHERE card_id = 'fixture/half'")
    again = StudySession.start(store, StudyScheduler(store), cards[:1], seed=4)
    again.queue = list(cards[:1])
    again.next_instance()
    again.submit("0.4", again.check("0.4"), duration_ms=5_000)
    record = store.card_record("fixture/half")
    assert record is not None
    assert record.reps == 1


def test_concurrent_reviews_of_one_card_lose_no_count(tmp_path: Path) -> None:
    """Writers in separate connections (as separate processes would be): each review's
    read-compute-write of the card's state is one transaction, so no increment is lost."""
    from concurrent.futures import ThreadPoolExecutor

    from engine.checking.verdict import Verdict

    path = tmp_path / "shared.sqlite3"
    ReviewStore.open(path).close()
    right = Verdict(True, "1", "1", "Correct.", score=1.0)

    def review_many(worker: int) -> None:
        with ReviewStore.open(path) as store:
            scheduler = StudyScheduler(store)
            for _ in range(25):
                reschedule = scheduler.rescheduler("d/shared")
                store.record_review(None, "d/shared", worker, "1", right, GOOD, 1000, reschedule=reschedule)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(review_many, range(8)))
    with ReviewStore.open(path) as store:
        record = store.card_record("d/shared")
        assert record is not None
        assert record.reps == 200 == len(store.reviews())


HINTED = """---
title: Hinted
id: hinted
---

## Double {#double}

```quiz
kind: numeric
given:
  x: randint(2, 9)
answer: 2*x
hints:
  - Twice {x} is {x} + {x}.
  - It is even.
```

What is $2 \\cdot {x}$?
"""


def test_hints_come_one_at_a_time_and_cap_the_rating_at_hard(
    store: ReviewStore, write_deck: Callable[..., Path]
) -> None:
    cards = list(Catalog.load([write_deck(HINTED)]).decks[0].cards)
    session = StudySession.start(store, StudyScheduler(store), cards, seed=1)
    instance = session.next_instance()
    assert instance is not None
    x = int(instance.values["x"])
    assert session.next_hint() == f"Twice {x} is {x} + {x}."
    assert session.next_hint() == "It is even."
    assert session.next_hint() is None
    assert session.hints_shown == 2
    answered = session.submit(str(2 * x), session.check(str(2 * x)), duration_ms=3_000)
    assert answered.correct
    assert answered.suggested == answered.rating == HARD  # fast and right, but helped
    (review,) = store.reviews()
    assert review.rating == HARD


def test_a_new_card_starts_without_hints_shown(store: ReviewStore, write_deck: Callable[..., Path]) -> None:
    second = HINTED.split("---", 2)[2].replace("{#double}", "{#double-again}")
    cards = list(Catalog.load([write_deck(HINTED + second)]).decks[0].cards)
    assert len(cards) == 2
    session = StudySession.start(store, StudyScheduler(store), cards, seed=1)
    session.next_instance()
    session.next_hint()
    session.submit("0", session.check("0"), duration_ms=3_000)
    session.advance()
    session.next_instance()
    assert session.hints_shown == 0
    x = int(session.current.values["x"]) if session.current is not None else 0
    assert session.submit(str(2 * x), session.check(str(2 * x)), duration_ms=3_000).suggested == EASY


def test_a_drill_shows_no_hints(store: ReviewStore, write_deck: Callable[..., Path]) -> None:
    cards = list(Catalog.load([write_deck(HINTED)]).decks[0].cards)
    session = DrillSession.start(store, cards, DrillOptions(count=1, seed=3))
    assert session.next_instance() is not None
    assert session.next_hint() is None
