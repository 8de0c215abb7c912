"""Drills in the engine: which cards, what is logged, what the report says, and the schedule left alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.decks.cards import Card
from engine.decks.catalog import Catalog
from engine.decks.kinds import check_answer, expected_answer_text
from engine.storage import ReviewStore
from engine.study.drill import DrillOptions, DrillReport, DrillSession, drill_cards
from tests.conftest import FIXTURES

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ANSWERS = {
    "drillfix/half": "1.6",  # the named mistake 'doubled'
    "drillfix/sigmoid-prime": "σ(x)(1-σ(x))",
    "drillfix/saddle": "c",
    "drillfix/softplus": "1.7014",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    with ReviewStore.open(tmp_path / "quizapp.sqlite3", local_tz=UTC) as opened:
        yield opened


def cards() -> list[Card]:
    return drill_cards(Catalog.load([FIXTURES / "drill"]).decks)


def run_drill(
    store: ReviewStore, options: DrillOptions, now: datetime = NOW, answered: int | None = None
) -> DrillReport:
    session = DrillSession.start(store, cards(), options, now=now)
    for _ in range(answered if answered is not None else session.total):
        instance = session.next_instance()
        assert instance is not None
        text = ANSWERS[instance.card.full_id]
        session.record(text, check_answer(instance, text), 5000)
    return session.finish(now=now + timedelta(minutes=1))


def test_drills_ask_checked_cards_of_the_chosen_decks_and_tags() -> None:
    decks = Catalog.load([FIXTURES / "drill", FIXTURES / "study"]).decks
    assert {c.full_id for c in drill_cards(decks, ["drillfix"])} == set(ANSWERS)  # no flash card
    assert {c.card_id for c in drill_cards(decks, tags=["activations"])} == {"sigmoid-prime", "softplus"}
    assert all(c.kind != "flash" for c in drill_cards(decks))


def test_the_same_seed_asks_the_same_questions(tmp_path: Path) -> None:
    with ReviewStore.open(tmp_path / "a.sqlite3") as a, ReviewStore.open(tmp_path / "b.sqlite3") as b:
        one = DrillSession.start(a, cards(), DrillOptions(count=3, seed=5))
        two = DrillSession.start(b, cards(), DrillOptions(count=3, seed=5))
        assert [c.full_id for c in one.questions] == [c.full_id for c in two.questions]
        assert len(one.questions) == 3
        assert one.next_instance().seed == two.next_instance().seed  # type: ignore[union-attr]


def test_a_drill_is_logged_and_reported_without_touching_the_schedule(store: ReviewStore) -> None:
    report = run_drill(store, DrillOptions(count=4, seed=1))
    rows = store.reviews()
    assert len(rows) == 4
    assert {r.mode for r in rows} == {"drill"}
    assert all(r.rating is None for r in rows)
    assert store.card_records() == {}  # the FSRS schedule is untouched
    assert store.sessions()[0].mode == "drill"
    assert store.sessions()[0].ended_at is not None

    result = report.result
    assert (result.questions, result.answered, result.correct) == (4, 4, 3)
    assert result.accuracy == pytest.approx(0.75)
    assert result.duration_ms == 20_000
    assert report.mistakes == (("doubled", 1),)
    assert [t.tag for t in report.weakest] == ["arithmetic", "test"]
    assert [c.full_id for c in report.to_review] == ["drillfix/half"]
    assert report.comparison().startswith("Your first drill")
    assert store.drill_results() == [result]


def test_the_report_compares_with_earlier_drills(store: ReviewStore) -> None:
    run_drill(store, DrillOptions(count=4, seed=1))
    report = run_drill(store, DrillOptions(count=4, seed=2), now=NOW + timedelta(hours=1), answered=2)
    assert report.result.answered == 2
    assert len(report.unanswered) == 2
    assert len(report.earlier) == 1
    assert "in your last drill" in report.comparison()
    assert "75%" in report.comparison()
    assert {c.full_id for c in report.unanswered} <= {c.full_id for c in report.to_review}


def test_schedule_on_request(store: ReviewStore) -> None:
    run_drill(store, DrillOptions(count=4, seed=1, schedule=True))
    assert len(store.card_records()) == 4
    assert all(r.rating is not None for r in store.reviews())


def test_a_skipped_question_counts_as_wrong_and_shows_its_answer(store: ReviewStore) -> None:
    session = DrillSession.start(store, cards(), DrillOptions(count=1, seed=3))
    instance = session.next_instance()
    assert instance is not None
    session.skip(expected_answer_text(instance), 1000)
    report = session.finish()
    assert report.result.correct == 0
    assert report.result.answered == 0
    assert report.answers[0].skipped
    assert report.answers[0].verdict.expected
