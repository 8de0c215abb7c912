"""Scheduling: what to study now, what an answer is worth, and when a card comes back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import fsrs
import pytest

from engine.checking.verdict import Verdict
from engine.decks.catalog import Catalog
from engine.storage import ReviewStore
from engine.study.scheduling import (
    AGAIN,
    EASY,
    GOOD,
    HARD,
    DeckCounts,
    StudyScheduler,
    fsrs_card_id,
    rating_from_verdict,
)

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TZ = timezone(timedelta(hours=-5))  # a fixed offset, so no tzdata is needed

RIGHT = Verdict(True, "x", "x", "Correct.", score=1.0)
WRONG = Verdict(False, "y", "x", "Wrong.")
PARTLY = Verdict(False, "1; 3", "1; 2", "1 of 2 parts correct", score=0.5)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    with ReviewStore.open(tmp_path / "quizapp.sqlite3", local_tz=TZ) as opened:
        yield opened


@pytest.fixture
def scheduler(store: ReviewStore) -> StudyScheduler:
    return StudyScheduler(store)


def reviewed_state(due: datetime) -> fsrs.Card:
    """A card in review, due at `due`."""
    return fsrs.Card(
        card_id=1,
        state=fsrs.State.Review,
        step=None,
        stability=5.0,
        difficulty=5.0,
        due=due,
        last_review=due - timedelta(days=5),
    )


def study(
    store: ReviewStore, scheduler: StudyScheduler, card_id: str, when: datetime, rating: int = GOOD
) -> None:
    """Answer a card as the app does: record the answer, then reschedule the card."""
    store.record_review(None, card_id, 0, "x", RIGHT, rating, 5000, now=when)
    scheduler.review(card_id, rating, now=when, duration_ms=5000)


# -- ratings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "duration_ms", "rating"),
    [
        (WRONG, 10_000, AGAIN),
        (WRONG, 1_000, AGAIN),  # fast and wrong is still wrong
        (PARTLY, 10_000, HARD),
        (RIGHT, 10_000, GOOD),
        (RIGHT, 40_000, GOOD),  # up to twice the expected 20 s
        (RIGHT, 40_001, HARD),  # slower: recalled with effort
        (RIGHT, 6_667, GOOD),
        (RIGHT, 6_666, EASY),  # under a third of 20 s
    ],
)
def test_rating_from_verdict_rule(verdict: Verdict, duration_ms: int, rating: int) -> None:
    assert rating_from_verdict(verdict, duration_ms, 20_000) == rating


def test_cards_computed_by_hand_are_given_longer() -> None:
    from engine.decks.cards import CARD_KINDS
    from engine.decks.kinds import kind_named

    by_kind = {kind: kind_named(kind).expected_ms for kind in CARD_KINDS}
    assert by_kind == {
        "flash": 20_000,
        "symbolic": 20_000,
        "numeric": 30_000,
        "choice": 20_000,
        "steps": 30_000,
        "cloze": 30_000,
    }
    assert rating_from_verdict(RIGHT, 50_000, by_kind["numeric"]) == GOOD
    assert rating_from_verdict(RIGHT, 50_000, by_kind["symbolic"]) == HARD


# -- the queue ---------------------------------------------------------------------------


def test_due_cards_come_first_earliest_first_then_new_cards_in_deck_order(
    store: ReviewStore, scheduler: StudyScheduler
) -> None:
    deck = ["d/new1", "d/late", "d/future", "d/new2", "d/early", "d/new3"]
    store.save_card_state("d/late", reviewed_state(T0 - timedelta(hours=1)))
    store.save_card_state("d/early", reviewed_state(T0 - timedelta(days=3)))
    store.save_card_state("d/future", reviewed_state(T0 + timedelta(days=2)))
    queue = scheduler.queue(deck, now=T0)
    assert queue.due == ("d/early", "d/late")
    assert queue.new == ("d/new1", "d/new2", "d/new3")
    assert list(queue) == ["d/early", "d/late", "d/new1", "d/new2", "d/new3"]
    assert len(queue) == 5
    assert "d/future" not in scheduler.queue(deck, now=T0 + timedelta(days=2) - timedelta(seconds=1)).due
    assert "d/future" in scheduler.queue(deck, now=T0 + timedelta(days=2)).due


def test_cards_of_other_decks_are_not_queued(store: ReviewStore, scheduler: StudyScheduler) -> None:
    store.save_card_state("other/x", reviewed_state(T0 - timedelta(days=1)))
    assert scheduler.queue(["d/a"], now=T0).cards == ("d/a",)


def test_the_daily_new_limit_counts_cards_introduced_earlier_today(
    store: ReviewStore, scheduler: StudyScheduler
) -> None:
    deck = [f"d/c{n}" for n in range(10)]
    morning = datetime(2026, 3, 10, 8, 0, tzinfo=TZ)
    assert scheduler.queue(deck, now=morning, new_limit=4).new == ("d/c0", "d/c1", "d/c2", "d/c3")
    study(store, scheduler, "d/c0", morning)
    study(store, scheduler, "d/c1", morning + timedelta(minutes=1))
    study(store, scheduler, "d/c1", morning + timedelta(minutes=12))  # seen twice: one new card
    afternoon = datetime(2026, 3, 10, 15, 0, tzinfo=TZ)
    queue = scheduler.queue(deck, now=afternoon, new_limit=4)
    assert queue.new == ("d/c2", "d/c3")
    assert queue.new_left_today == 0
    assert scheduler.queue(deck, now=afternoon, new_limit=1).new == ()


def test_the_study_day_starts_at_4am_local_time(store: ReviewStore, scheduler: StudyScheduler) -> None:
    deck = [f"d/c{n}" for n in range(5)]
    study(store, scheduler, "d/c0", datetime(2026, 3, 10, 3, 59, tzinfo=TZ))  # the 9th's study day
    study(store, scheduler, "d/c1", datetime(2026, 3, 10, 4, 0, tzinfo=TZ))
    study(store, scheduler, "d/c2", datetime(2026, 3, 10, 23, 30, tzinfo=TZ))
    after_midnight = datetime(2026, 3, 11, 1, 0, tzinfo=TZ)  # still the 10th's study day
    assert scheduler.queue(deck, now=after_midnight, new_limit=3).new == ("d/c3",)
    next_day = datetime(2026, 3, 11, 4, 0, tzinfo=TZ)
    assert scheduler.queue(deck, now=next_day, new_limit=3).new == ("d/c3", "d/c4")


def test_the_new_limit_is_shared_by_every_deck(store: ReviewStore, scheduler: StudyScheduler) -> None:
    a, b = ["a/1", "a/2", "a/3"], ["b/1", "b/2", "b/3"]
    now = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
    study(store, scheduler, "a/1", now)
    study(store, scheduler, "a/2", now)
    later = now + timedelta(hours=1)
    assert scheduler.queue(a, now=later, new_limit=2).new == ()
    assert scheduler.queue(b, now=later, new_limit=2).new == ()  # deck a used today's two
    assert scheduler.queue(b, now=later, new_limit=3).new == ("b/1",)
    assert scheduler.queue(a + b, now=later, new_limit=3).new == ("a/3",)
    assert scheduler.counts(b, now=later, new_limit=3).new == 1


def test_counts_for_the_home_screen(store: ReviewStore, scheduler: StudyScheduler) -> None:
    deck = [f"d/c{n}" for n in range(30)]
    store.save_card_state("d/c0", reviewed_state(T0 - timedelta(days=1)))
    store.save_card_state("d/c1", reviewed_state(T0 + timedelta(days=1)))
    assert scheduler.counts(deck, now=T0) == DeckCounts(due=1, new=20, total=30)
    assert scheduler.counts(deck, now=T0, new_limit=5) == DeckCounts(due=1, new=5, total=30)
    assert scheduler.counts([], now=T0) == DeckCounts(due=0, new=0, total=0)


# -- reviewing ---------------------------------------------------------------------------


def test_again_brings_a_card_back_soon_and_easy_much_later(tmp_path: Path) -> None:
    path = tmp_path / "quizapp.sqlite3"
    with ReviewStore.open(path) as store:
        scheduler = StudyScheduler(store)
        again = scheduler.review("d/hard", AGAIN, now=T0)
        good = scheduler.review("d/ok", GOOD, now=T0)
        easy = scheduler.review("d/trivial", EASY, now=T0)
    assert T0 < again.due <= T0 + timedelta(minutes=10)
    assert again.due < good.due < easy.due
    assert easy.due >= T0 + timedelta(days=1)
    with ReviewStore.open(path) as store:  # persisted
        for card_id, card in [("d/hard", again), ("d/ok", good), ("d/trivial", easy)]:
            stored = store.card_state(card_id)
            assert stored is not None
            assert stored.to_dict() == card.to_dict()
        queue = StudyScheduler(store).queue(
            ["d/hard", "d/ok", "d/trivial", "d/new"], now=T0 + timedelta(hours=1)
        )
        assert queue.due == ("d/hard", "d/ok")
        assert queue.new == ("d/new",)


def test_successive_reviews_grow_the_interval_and_a_lapse_shrinks_it(
    store: ReviewStore, scheduler: StudyScheduler
) -> None:
    now, intervals = T0, []
    for _ in range(4):
        card = scheduler.review("d/c", GOOD, now=now)
        intervals.append(card.due - now)
        now = card.due
    assert intervals == sorted(intervals)
    assert intervals[-1] > timedelta(days=3)
    lapsed = scheduler.review("d/c", AGAIN, now=now)
    assert lapsed.due - now < timedelta(hours=1)
    record = store.card_record("d/c")
    assert record is not None
    assert (record.reps, record.lapses) == (5, 1)


def test_scheduling_is_reproducible_without_fuzzing(tmp_path: Path) -> None:
    dues = []
    for name in ("one", "two"):
        with ReviewStore.open(tmp_path / f"{name}.sqlite3") as store:
            scheduler, now = StudyScheduler(store), T0
            for rating in (GOOD, GOOD, EASY, GOOD):
                now = scheduler.review("d/c", rating, now=now).due
            dues.append(now)
    assert dues[0] == dues[1]


def test_fsrs_card_ids_are_stable_and_the_full_id_is_the_identity(scheduler: StudyScheduler) -> None:
    assert fsrs_card_id("d/c") == fsrs_card_id("d/c") != fsrs_card_id("d/other")
    assert scheduler.review("d/c", GOOD, now=T0).card_id == fsrs_card_id("d/c")
    with pytest.raises(ValueError):
        scheduler.review("d/c", 5, now=T0)
    with pytest.raises(ValueError):
        scheduler.review("no-deck", GOOD, now=T0)


def test_editing_a_card_keeps_its_history(
    store: ReviewStore, scheduler: StudyScheduler, write_deck: Callable[..., Path]
) -> None:
    deck = "## Sigmoid' {#sigmoid-derivative}\n\nDifferentiate σ.\n\n### Answer\nσ(1 − σ)\n"
    path = write_deck(deck, name="act.md")
    (card,) = Catalog.load([path]).decks[0].cards
    study(store, scheduler, card.full_id, T0)
    write_deck(
        deck.replace("Sigmoid'", "The sigmoid's derivative").replace("Differentiate", "Find"), name="act.md"
    )
    (edited,) = Catalog.load([path]).decks[0].cards
    assert edited.title != card.title
    assert edited.full_id == card.full_id
    assert store.card_state(edited.full_id) is not None
    assert scheduler.queue([edited.full_id], now=T0).cards == ()  # studied: not new, not yet due
