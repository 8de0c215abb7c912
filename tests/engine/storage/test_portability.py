"""Moving the review log between machines (engine.storage.portability): export, import, replay.

- export → import into an empty log gives every card the same schedule (due dates, states);
- importing twice adds nothing;
- a bad line is reported with its number and skipped; the rest go in together, or nothing does;
- two machines' histories of one card merge, and its schedule is the replay of both in time order.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.checking.verdict import Verdict
from engine.storage import CardState, ReviewStore
from engine.storage.flags import LeechRule
from engine.storage.portability import FORMAT_VERSION, parse_review
from engine.study.scheduling import AGAIN, EASY, GOOD, HARD, StudyScheduler

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
RIGHT = Verdict(True, "x", "x", "Correct.", score=1.0)
WRONG = Verdict(False, "y", "x", "Wrong: σ, not σ′.", mistake="forgot-to-differentiate")


@pytest.fixture
def source(tmp_path: Path) -> Iterator[ReviewStore]:
    with ReviewStore.open(tmp_path / "a" / "quizapp.sqlite3") as opened:
        yield opened


@pytest.fixture
def target(tmp_path: Path) -> Iterator[ReviewStore]:
    with ReviewStore.open(tmp_path / "b" / "quizapp.sqlite3") as opened:
        yield opened


def study(store: ReviewStore, card_id: str, rating: int, when: datetime, answer: str = "x") -> int:
    """An answer recorded as a session records it: the review and its schedule change together."""
    scheduler = StudyScheduler(store)
    verdict = RIGHT if rating >= GOOD else WRONG
    reschedule = scheduler.rescheduler(card_id, when, 7000)
    return store.record_review(
        None, card_id, 3, answer, verdict, rating, 7000, now=when, reschedule=reschedule
    )


def history(store: ReviewStore) -> None:
    """Several cards over weeks: lapses, a re-rated answer, a flash card, an unscheduled drill answer."""
    study(store, "opt/adam", GOOD, T0)
    study(store, "opt/adam", GOOD, T0 + timedelta(minutes=12))
    study(store, "opt/adam", AGAIN, T0 + timedelta(days=3), answer="σ(x)")
    study(store, "opt/adam", EASY, T0 + timedelta(days=3, minutes=11))
    review = study(store, "act/gelu", HARD, T0 + timedelta(hours=1), answer="0.84")
    store.set_rating(
        review, GOOD, StudyScheduler(store).rescheduler("act/gelu", T0 + timedelta(hours=1), 7000)
    )
    when = T0 + timedelta(days=1)
    store.record_review(
        None, "act/flash", None, "", None, EASY, 2000, now=when,
        reschedule=StudyScheduler(store).rescheduler("act/flash", when),
    )  # fmt: skip
    store.record_review(
        None, "act/gelu", 9, "0.9", WRONG, None, 4000, mode="drill", now=T0 + timedelta(days=2)
    )


def schedules(store: ReviewStore) -> dict[str, tuple[datetime, int, int, int, float | None]]:
    return {
        card_id: (r.due, int(r.card.state), r.reps, r.lapses, r.card.stability)
        for card_id, r in store.card_records().items()
    }


def exported(store: ReviewStore) -> str:
    out = io.StringIO()
    store.export_reviews(out)
    return out.getvalue()


def import_text(store: ReviewStore, text: str, leech: LeechRule | None = None):  # type: ignore[no-untyped-def]
    scheduler = StudyScheduler(store)
    return store.import_reviews(text.splitlines(), scheduler.next_state, leech)


def test_export_then_import_into_an_empty_log_gives_the_same_due_dates(
    source: ReviewStore, target: ReviewStore
) -> None:
    history(source)
    text = exported(source)
    assert len(text.splitlines()) == 7
    report = import_text(target, text)
    assert (report.added, report.already, report.cards, report.bad) == (7, 0, 3, ())
    assert schedules(target) == schedules(source)
    keep = (
        "card_id",
        "reviewed_at",
        "answer",
        "correct",
        "score",
        "mistake",
        "rating",
        "verdict_json",
        "mode",
    )
    assert [[getattr(r, k) for k in keep] for r in target.reviews()] == [
        [getattr(r, k) for k in keep] for r in source.reviews()
    ]
    assert exported(target) == text  # and back again, byte for byte


def test_importing_twice_adds_nothing(source: ReviewStore, target: ReviewStore) -> None:
    history(source)
    text = exported(source)
    import_text(target, text)
    before = (exported(target), schedules(target))
    report = import_text(target, text)
    assert (report.added, report.already) == (0, 7)
    assert (exported(target), schedules(target)) == before
    assert import_text(source, text).added == 0  # a log's own export, too


def test_a_bad_line_is_reported_with_its_number_and_the_rest_is_imported(
    source: ReviewStore, target: ReviewStore
) -> None:
    history(source)
    lines = exported(source).splitlines()
    good = json.loads(lines[0])
    bad = [
        "this is not JSON",
        json.dumps({**good, "rating": 7}),
        json.dumps({**good, "reviewed_at": "2026-01-05T09:30:00"}),  # no time zone
        json.dumps({**good, "card_id": "no-deck"}),
        json.dumps([1, 2]),
        json.dumps({**good, "version": FORMAT_VERSION + 1}),
    ]
    text = "\n".join([*lines[:2], *bad, "", *lines[2:]])
    report = import_text(target, text)
    assert [b.line for b in report.bad] == [3, 4, 5, 6, 7, 8]
    assert "not JSON" in report.bad[0].problem
    assert "rating" in report.bad[1].problem
    assert "time zone" in report.bad[2].problem
    assert "full card id" in report.bad[3].problem
    assert report.added == 7
    assert schedules(target) == schedules(source)


def test_nothing_is_half_imported(source: ReviewStore, target: ReviewStore) -> None:
    history(source)
    scheduler = StudyScheduler(target)

    def failing(card_id: str, before: CardState | None, rating: int, when: datetime, ms: int) -> CardState:
        if card_id == "act/gelu":
            raise RuntimeError("the scheduler broke")
        return scheduler.next_state(card_id, before, rating, when, ms)

    with pytest.raises(RuntimeError):
        target.import_reviews(exported(source).splitlines(), failing)
    assert target.reviews() == []
    assert target.card_records() == {}


def test_two_machines_merge_into_one_history(
    tmp_path: Path, source: ReviewStore, target: ReviewStore
) -> None:
    # Answers on two machines, interleaved in time; a third log saw them all, in order.
    times = [T0 + timedelta(days=d) for d in (0, 2, 5, 9, 14)]
    ratings = [GOOD, GOOD, AGAIN, GOOD, EASY]
    with ReviewStore.open(tmp_path / "c" / "quizapp.sqlite3") as together:
        for index, (when, rating) in enumerate(zip(times, ratings, strict=True)):
            study(source if index % 2 == 0 else target, "opt/adam", rating, when)
            study(together, "opt/adam", rating, when)
        report = import_text(target, exported(source))
        assert (report.added, report.cards) == (3, 1)
        assert schedules(target) == schedules(together)
        assert [r.reviewed_at for r in target.reviews("opt/adam")] == times


def test_a_replayed_history_that_reaches_the_leech_count_marks_a_leech(
    source: ReviewStore, target: ReviewStore
) -> None:
    history(source)  # opt/adam lapsed once
    report = import_text(target, exported(source), LeechRule(1))
    assert report.leeches == ("opt/adam",)
    flags = target.flags("opt/adam")
    assert flags is not None
    assert flags.leech
    assert flags.suspended
    assert import_text(target, exported(source), LeechRule(1)).leeches == ()  # already one


def test_a_line_round_trips() -> None:
    line = json.dumps(
        {
            "card_id": "d/c", "reviewed_at": "2026-01-05T10:30:00+01:00", "mode": "study", "answer": "x",
            "seed": None, "correct": True, "score": 1, "mistake": None, "rating": 3, "duration_ms": 5,
            "verdict": None, "scheduled": True,
        }
    )  # fmt: skip
    review = parse_review(line)
    assert review.reviewed_at == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert parse_review(json.dumps(review.to_json())) == review
