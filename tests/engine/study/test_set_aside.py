"""Leeches, suspended and buried cards, as the scheduler and a session see them.

- a card becomes a leech when the lapse that reaches the rule's count is recorded, in
  that review's transaction; re-rating or undoing that answer takes it back;
- the queue leaves out suspended cards, and buried ones until the next study day;
- a session sets its current card aside and can take that back with undo.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.checking.verdict import Verdict
from engine.decks.cards import Card
from engine.decks.catalog import Catalog
from engine.storage import ReviewStore
from engine.storage.flags import LeechRule
from engine.study.aside import SetAsides, leech_note, session_leeches
from engine.study.scheduling import AGAIN, EASY, GOOD, StudyScheduler
from engine.study.session import StudySession
from tests.conftest import FIXTURES

TZ = timezone(timedelta(hours=-5))
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CARD = "deck/card"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    with ReviewStore.open(tmp_path / "quizapp.sqlite3", local_tz=TZ) as opened:
        yield opened


def answer(
    store: ReviewStore, scheduler: StudyScheduler, rating: int, when: datetime, mistake: str | None = None
) -> int:
    """Record an answer with its schedule change, as a session does."""
    verdict = Verdict(rating >= GOOD, "x", "y", "feedback", mistake=mistake, score=float(rating >= GOOD))
    return store.record_review(
        None,
        CARD,
        0,
        "x",
        verdict,
        rating,
        5000,
        now=when,
        reschedule=scheduler.rescheduler(CARD, when, 5000),
    )


def due(store: ReviewStore) -> datetime:
    record = store.card_record(CARD)
    assert record is not None
    return record.due


def lapse(store: ReviewStore, scheduler: StudyScheduler, times: int, mistake: str | None = None) -> int:
    """Fail the card `times` times in review (relearning it after each); returns the last lapse's review id."""
    if store.card_record(CARD) is None:
        answer(store, scheduler, EASY, T0)  # straight into review
    last = 0
    for _ in range(times):
        last = answer(store, scheduler, AGAIN, due(store), mistake)
        answer(store, scheduler, EASY, due(store))
    return last


def test_a_card_becomes_a_leech_at_the_eighth_lapse_and_is_suspended(store: ReviewStore) -> None:
    scheduler = StudyScheduler(store)
    lapse(store, scheduler, 7)
    assert store.flags(CARD) is None
    assert store.leeches() == []
    lapse(store, scheduler, 1)
    record = store.card_record(CARD)
    assert record is not None
    assert record.lapses == 8
    flags = store.flags(CARD)
    assert flags is not None
    assert flags.leech
    assert flags.suspended
    assert scheduler.queue([CARD], now=due(store) + timedelta(days=1)).cards == ()
    lapse(store, scheduler, 1)  # a ninth lapse marks nothing new
    assert [leech.card_id for leech in store.leeches()] == [CARD]


def test_a_tagged_leech_stays_in_the_queue(store: ReviewStore) -> None:
    scheduler = StudyScheduler(store, leech=LeechRule(2, "tag"))
    lapse(store, scheduler, 2, mistake="no-bias-correction")
    flags = store.flags(CARD)
    assert flags is not None
    assert flags.leech
    assert not flags.suspended
    assert scheduler.queue([CARD], now=due(store)).cards == (CARD,)


def test_leeches_name_their_most_frequent_mistake(store: ReviewStore) -> None:
    scheduler = StudyScheduler(store, leech=LeechRule(3))
    lapse(store, scheduler, 2, mistake="tanh-approx")
    lapse(store, scheduler, 1, mistake="sign")
    (leech,) = store.leeches()
    assert (leech.card_id, leech.lapses, leech.suspended) == (CARD, 3, True)
    assert (leech.mistake, leech.mistake_count) == ("tanh-approx", 2)


def test_undoing_the_lapse_that_made_a_leech_takes_the_flags_back(store: ReviewStore) -> None:
    scheduler = StudyScheduler(store, leech=LeechRule(2))
    store.bury(CARD, T0)  # flags it already had stay as they were
    before = store.flags(CARD)
    lapse(store, scheduler, 1)
    review_id = answer(store, scheduler, AGAIN, due(store))
    flags = store.flags(CARD)
    assert flags is not None
    assert flags.leech
    store.undo_review(review_id)
    assert store.flags(CARD) == before
    record = store.card_record(CARD)
    assert record is not None
    assert record.lapses == 1


def test_re_rating_the_lapse_away_takes_the_leech_back_and_again_brings_it(store: ReviewStore) -> None:
    scheduler = StudyScheduler(store, leech=LeechRule(2))
    lapse(store, scheduler, 1)
    when = due(store)
    review_id = answer(store, scheduler, AGAIN, when)
    assert store.leeches() != []
    store.set_rating(review_id, GOOD, scheduler.rescheduler(CARD, when, 5000))
    assert store.flags(CARD) is None
    assert store.leeches() == []
    store.set_rating(review_id, AGAIN, scheduler.rescheduler(CARD, when, 5000))
    flags = store.flags(CARD)
    assert flags is not None
    assert flags.leech
    assert flags.changed_at == when


def test_the_queue_leaves_out_suspended_and_buried_cards_until_the_next_day(store: ReviewStore) -> None:
    scheduler = StudyScheduler(store)
    ids = ["deck/a", "deck/b", "deck/c"]
    store.suspend("deck/a", T0)
    store.bury("deck/b", T0)
    assert scheduler.queue(ids, now=T0).cards == ("deck/c",)
    assert scheduler.counts(ids, now=T0).new == 1
    next_day = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # 04:00 local
    assert scheduler.queue(ids, now=next_day - timedelta(seconds=1)).cards == ("deck/c",)
    assert scheduler.queue(ids, now=next_day).cards == ("deck/b", "deck/c")
    store.unsuspend("deck/a", T0)
    assert set(scheduler.queue(ids, now=T0).cards) == {"deck/a", "deck/c"}


def test_forgetting_a_card_makes_it_new_and_keeps_its_history(store: ReviewStore) -> None:
    scheduler = StudyScheduler(store, leech=LeechRule(1))
    lapse(store, scheduler, 1)
    reviews = store.reviews(CARD)
    store.forget_card(CARD, T0)
    assert store.card_record(CARD) is None
    assert store.reviews(CARD) == reviews
    flags = store.flags(CARD)
    assert flags is not None
    assert not flags.leech
    assert flags.suspended  # suspension is the learner's to lift
    assert scheduler.queue([CARD], now=T0).cards == ()
    store.unsuspend(CARD, T0)
    assert scheduler.queue([CARD], now=T0).new == (CARD,)


# -- in a session -----------------------------------------------------------------------------


def fixture_cards() -> list[Card]:
    return list(Catalog.load([FIXTURES / "study"]).decks[0].cards)


def test_a_session_sets_its_card_aside_and_undo_brings_it_back(store: ReviewStore) -> None:
    cards = fixture_cards()
    session = StudySession.start(store, StudyScheduler(store), cards, seed=3)
    asides = SetAsides(session)
    first = session.next_instance()
    assert first is not None
    total = session.total
    aside = asides.set_aside("bury", answered=False)
    assert aside.card is first.card
    assert session.total == total - 1
    following = session.next_instance()
    assert following is not None
    assert following.card is not first.card
    assert store.set_aside_now([first.card.full_id]) == {first.card.full_id}
    assert asides.undo() is aside
    assert session.total == total
    assert session.current is first  # the same instance is asked again
    assert store.flags(first.card.full_id) is None


def test_after_an_answer_undo_takes_back_the_set_aside_then_the_answer(store: ReviewStore) -> None:
    cards = fixture_cards()
    session = StudySession.start(store, StudyScheduler(store), cards, seed=3)
    asides = SetAsides(session)
    instance = session.next_instance()
    assert instance is not None
    session.submit("0.4", session.check("0.4"), 12_000)
    asides.set_aside("suspend", answered=True)
    session.advance()
    card_id = instance.card.full_id
    assert store.set_aside_now([card_id]) == {card_id}
    assert asides.undo() is not None
    assert store.flags(card_id) is None
    assert asides.undo() is None  # the latest action is now the answer
    assert session.undo() is instance
    assert store.reviews() == []


def test_a_session_reports_the_leeches_its_answers_made(store: ReviewStore) -> None:
    cards = fixture_cards()
    scheduler = StudyScheduler(store, leech=LeechRule(1))
    card_id = cards[0].full_id
    earlier = datetime.now(UTC) - timedelta(days=60)  # the session answers now
    store.record_review(
        None,
        card_id,
        0,
        "x",
        None,
        EASY,
        1000,
        now=earlier,
        reschedule=scheduler.rescheduler(card_id, earlier),
    )
    session = StudySession.start(store, scheduler, cards, seed=3)
    instance = session.next_instance()
    assert instance is not None
    assert instance.card.full_id == card_id
    answered = session.submit("7", session.check("7"), 12_000)
    assert [leech.card_id for leech in session_leeches(session)] == [card_id]
    note = leech_note(session, answered)
    assert note is not None
    assert "leech" in note
    assert "suspended" in note
