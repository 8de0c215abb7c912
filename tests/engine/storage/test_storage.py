"""The review log: nothing answered is ever lost, and a file it cannot use is never touched."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import fsrs
import pytest

from engine.checking.verdict import Verdict
from engine.storage import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    ReviewStore,
    StoreError,
    datadir,
    day_start,
)
from tests.conftest import REPO

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PARIS_WINTER = timezone(timedelta(hours=1))  # fixed offsets: no dependence on tzdata

RIGHT = Verdict(True, "σ(x)·(1 − σ(x))", "σ(x)·(1 − σ(x))", "Correct.", score=1.0)
WRONG = Verdict(False, "σ(x)", "σ(x)·(1 − σ(x))", "That is σ itself.", mistake="forgot-to-differentiate")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "quizapp.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[ReviewStore]:
    with ReviewStore.open(db_path, local_tz=UTC) as opened:
        yield opened


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


# -- creating, reopening, migrating ------------------------------------------------------


def test_a_new_log_is_created_with_the_current_schema_in_a_new_folder(db_path: Path) -> None:
    with ReviewStore.open(db_path) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    assert {"sessions", "reviews", "card_states"} <= tables(db_path)
    assert user_version(db_path) == SCHEMA_VERSION


def test_the_log_is_in_wal_mode(db_path: Path) -> None:
    with ReviewStore.open(db_path):
        db = sqlite3.connect(db_path)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()


def test_reopening_keeps_everything_and_migrates_nothing_twice(db_path: Path) -> None:
    with ReviewStore.open(db_path) as store:
        session = store.start_session("study", ["starter"], now=T0)
        store.record_review(session, "starter/a", 1, "x", RIGHT, 3, 4000, now=T0)
    for _ in range(2):
        with ReviewStore.open(db_path) as store:
            assert store.schema_version == SCHEMA_VERSION
            assert [r.card_id for r in store.reviews()] == ["starter/a"]
            assert [s.deck_ids for s in store.sessions()] == [("starter",)]


def test_migrations_run_from_version_0_on_an_empty_database(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    sqlite3.connect(db_path).close()  # an empty database: user_version 0, no tables
    assert user_version(db_path) == 0
    with ReviewStore.open(db_path) as store:
        assert store.schema_version == SCHEMA_VERSION
    assert {"sessions", "reviews", "card_states"} <= tables(db_path)


def test_a_later_migration_step_upgrades_an_old_log_in_place(db_path: Path) -> None:
    with ReviewStore.open(db_path) as store:
        store.start_session("study", ["starter"], now=T0)
    later = (*MIGRATIONS, Migration("drills", ("CREATE TABLE drills (id INTEGER PRIMARY KEY)",)))
    with ReviewStore.open(db_path, migrations=later) as store:
        assert store.schema_version == len(later)
        assert len(store.sessions()) == 1
    assert "drills" in tables(db_path)
    with ReviewStore.open(db_path, migrations=later) as store:  # idempotent
        assert store.schema_version == len(later)


def test_a_failing_migration_step_is_rolled_back_whole(db_path: Path) -> None:
    with ReviewStore.open(db_path):
        pass
    broken = (
        *MIGRATIONS,
        Migration("half", ("CREATE TABLE drills (id INTEGER PRIMARY KEY)", "CREATE TABLE oops (")),
    )
    with pytest.raises(StoreError):
        ReviewStore.open(db_path, migrations=broken)
    assert user_version(db_path) == SCHEMA_VERSION
    assert "drills" not in tables(db_path)


# -- durability --------------------------------------------------------------------------


def test_answers_survive_the_process_being_killed_mid_session(db_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from engine.storage import ReviewStore
        store = ReviewStore.open(Path({str(db_path)!r}))
        session = store.start_session("study", ["starter"])
        for n in range(3):
            store.record_review(session, f"starter/card-{{n}}", n, "42", None, 3, 1000)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, timeout=60)
    assert result.returncode == -9, result.stderr.decode()
    with ReviewStore.open(db_path) as store:
        assert [r.card_id for r in store.reviews()] == ["starter/card-0", "starter/card-1", "starter/card-2"]
        assert store.sessions()[0].ended_at is None


# -- files it must not touch -------------------------------------------------------------


def _real_log_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "real" / "log.sqlite3"
    with ReviewStore.open(path) as store:
        session = store.start_session("study", ["starter"], now=T0)
        for n in range(200):
            store.record_review(session, f"starter/c{n}", n, "answer " * 20, RIGHT, 3, 1000, now=T0)
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["random bytes", "text", "truncated database", "foreign database"])
def test_a_file_that_is_not_a_usable_log_is_refused_and_left_untouched(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "quizapp.sqlite3"
    if kind == "random bytes":
        path.write_bytes(os.urandom(8192))
    elif kind == "text":
        path.write_text("my notes on Adam\n" * 100, encoding="utf-8")
    elif kind == "truncated database":
        real = _real_log_bytes(tmp_path)
        path.write_bytes(real[: len(real) // 2])
    else:
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE photos (id INTEGER)")
        db.commit()
        db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as raised:
        ReviewStore.open(path)
    assert str(path) in raised.value.message
    assert "left untouched" in raised.value.message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("quizapp")) == ["quizapp.sqlite3"]


def test_a_log_from_a_newer_quizapp_is_refused_and_left_untouched(db_path: Path) -> None:
    with ReviewStore.open(db_path):
        pass
    db = sqlite3.connect(db_path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 7}")
    db.commit()
    db.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreError) as raised:
        ReviewStore.open(db_path)
    message = raised.value.message
    assert "newer version of quizapp" in message
    assert f"schema {SCHEMA_VERSION + 7}" in message
    assert f"knows up to {SCHEMA_VERSION}" in message
    assert "left untouched" in message
    assert db_path.read_bytes() == before


def test_a_folder_that_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot create the folder"):
        ReviewStore.open(blocker / "quizapp.sqlite3")


# -- recording ---------------------------------------------------------------------------


def test_a_checked_answer_keeps_its_verdict(store: ReviewStore) -> None:
    steps = Verdict(
        False,
        "1; 3",
        "1; 2",
        "1 of 2 parts correct",
        score=0.5,
        parts=(Verdict(True, "1", "1", "ok", score=1.0, part="m"), Verdict(False, "3", "2", "no", part="v")),
    )
    session = store.start_session("study", ["starter"], now=T0)
    store.record_review(session, "starter/wrong", 7, "sigmoid(x)", WRONG, 1, 9000, now=T0)
    store.record_review(session, "starter/steps", 8, "1; 3", steps, 2, 30000, now=T0)
    wrong, partial = store.reviews()
    assert (wrong.correct, wrong.score, wrong.mistake, wrong.rating, wrong.seed) == (
        False,
        0.0,
        "forgot-to-differentiate",
        1,
        7,
    )
    assert wrong.deck_id == "starter"
    assert wrong.mode == "study"
    assert wrong.session_id == session
    assert wrong.verdict() == WRONG
    assert partial.score == 0.5
    assert partial.verdict() == steps


def test_a_flash_card_is_right_when_recalled_hard_good_or_easy(store: ReviewStore) -> None:
    session = store.start_session("study", ["starter"], now=T0)
    for rating in (1, 2, 3, 4):
        store.record_review(session, f"starter/f{rating}", None, "", None, rating, 1000, now=T0)
    assert [(r.correct, r.score) for r in store.reviews()] == [
        (False, 0.0),
        (True, 1.0),  # Hard: recalled, with effort
        (True, 1.0),
        (True, 1.0),
    ]
    assert all(r.verdict() is None for r in store.reviews())
    with pytest.raises(ValueError):
        store.record_review(session, "starter/f", None, "", None, None, 1000, now=T0)


def test_changing_the_rating_before_moving_on(store: ReviewStore) -> None:
    session = store.start_session("study", ["starter"], now=T0)
    flash = store.record_review(session, "starter/f", None, "", None, 1, 1000, now=T0)
    checked = store.record_review(session, "starter/c", 1, "x", RIGHT, 3, 1000, now=T0)
    store.set_rating(flash, 4)
    store.set_rating(checked, 2)
    rows = {r.id: r for r in store.reviews()}
    assert (rows[flash].rating, rows[flash].correct) == (4, True)  # a flash card's rating is its answer
    assert (rows[checked].rating, rows[checked].correct) == (2, True)  # the verdict still stands
    with pytest.raises(ValueError):
        store.set_rating(checked, 5)
    with pytest.raises(KeyError):
        store.set_rating(9999, 3)


def test_reviews_by_card_and_since(store: ReviewStore) -> None:
    session = store.start_session("drill", ["starter"], now=T0)
    for hours, card in [(0, "starter/a"), (1, "starter/b"), (2, "starter/a")]:
        store.record_review(session, card, 0, "x", RIGHT, 3, 1, mode="drill", now=T0 + timedelta(hours=hours))
    assert [r.reviewed_at for r in store.reviews("starter/a")] == [T0, T0 + timedelta(hours=2)]
    assert [r.card_id for r in store.reviews(since=T0 + timedelta(minutes=30))] == ["starter/b", "starter/a"]
    assert store.reviews("starter/zzz") == []


def test_sessions_start_and_end(store: ReviewStore) -> None:
    session = store.start_session("study", ["starter", "optim"], now=T0)
    store.end_session(session, now=T0 + timedelta(minutes=25))
    (row,) = store.sessions()
    assert (row.mode, row.deck_ids, row.started_at, row.ended_at) == (
        "study",
        ("starter", "optim"),
        T0,
        T0 + timedelta(minutes=25),
    )
    with pytest.raises(ValueError):
        store.start_session("cram", ["starter"])  # type: ignore[arg-type]


def test_naive_datetimes_are_refused(store: ReviewStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.start_session("study", ["starter"], now=datetime(2026, 1, 1))


def test_card_state_round_trips_exactly(db_path: Path) -> None:
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    card, _ = scheduler.review_card(fsrs.Card(card_id=5, due=T0), fsrs.Rating.Good, T0)
    with ReviewStore.open(db_path) as store:
        assert store.card_state("starter/a") is None
        store.save_card_state("starter/a", card, reps=1)
    with ReviewStore.open(db_path) as store:
        loaded = store.card_state("starter/a")
        record = store.card_record("starter/a")
    assert loaded is not None
    assert loaded.to_dict() == card.to_dict()
    assert record is not None
    assert (record.due, record.last_review, record.reps) == (card.due, T0, 1)


# -- the study day -----------------------------------------------------------------------


def test_a_study_day_starts_at_4am_local_time() -> None:
    tz = PARIS_WINTER
    late = datetime(2026, 1, 11, 3, 59, tzinfo=tz)  # still the 10th's study day
    early = datetime(2026, 1, 11, 4, 0, tzinfo=tz)
    assert day_start(late, tz=tz) == datetime(2026, 1, 10, 4, 0, tzinfo=tz)
    assert day_start(early, tz=tz) == datetime(2026, 1, 11, 4, 0, tzinfo=tz)
    assert day_start(early, tz=tz).tzinfo == UTC


def test_new_cards_and_reviews_are_counted_per_study_day(db_path: Path) -> None:
    tz = PARIS_WINTER
    with ReviewStore.open(db_path, local_tz=tz) as store:
        session = store.start_session("study", ["a", "b"])

        def answer(card: str, when: datetime, mode: str = "study") -> None:
            store.record_review(session, card, 0, "x", RIGHT, 3, 1, mode=mode, now=when)  # type: ignore[arg-type]

        answer("a/old", datetime(2026, 1, 10, 22, 0, tzinfo=tz))  # the day before
        answer("a/night", datetime(2026, 1, 11, 3, 30, tzinfo=tz))  # before 04:00: still the day before
        answer("a/one", datetime(2026, 1, 11, 9, 0, tzinfo=tz))
        answer("a/old", datetime(2026, 1, 11, 9, 5, tzinfo=tz))  # seen before: not new today
        answer("a/one", datetime(2026, 1, 11, 9, 10, tzinfo=tz))  # twice: one card
        answer("b/two", datetime(2026, 1, 11, 23, 0, tzinfo=tz))
        answer("b/drilled", datetime(2026, 1, 11, 23, 0, tzinfo=tz), mode="drill")

        now = datetime(2026, 1, 12, 2, 0, tzinfo=tz)  # after midnight, before 04:00
        assert store.new_cards_introduced_today(now=now) == 2
        assert store.new_cards_introduced_today(["a"], now=now) == 1
        assert store.new_cards_introduced_today(["b"], now=now) == 1
        assert store.review_count_today(now=now) == 5
        assert store.review_count_today(["a"], now=now) == 3
        assert store.review_count_today(now=now, mode="drill") == 1
        next_day = datetime(2026, 1, 12, 4, 0, tzinfo=tz)
        assert store.new_cards_introduced_today(now=next_day) == 0
        assert store.review_count_today(now=next_day) == 0


# -- the data folder ---------------------------------------------------------------------


def test_the_data_folder_comes_from_the_option_then_the_environment_then_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUIZAPP_DATA_DIR", str(tmp_path / "from-env"))
    assert datadir.data_dir(tmp_path / "from-option") == tmp_path / "from-option"
    assert (tmp_path / "from-option").is_dir()
    assert datadir.data_dir() == tmp_path / "from-env"
    assert (tmp_path / "from-env").is_dir()
    monkeypatch.delenv("QUIZAPP_DATA_DIR")
    monkeypatch.setattr(datadir.platformdirs, "user_data_dir", lambda *a, **k: str(tmp_path / "platform"))
    assert datadir.data_dir() == tmp_path / "platform"
    assert datadir.database_path(tmp_path) == tmp_path / "quizapp.sqlite3"


def test_a_data_folder_that_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot create the data folder"):
        datadir.data_dir(blocker / "sub")


# -- damaged rows ------------------------------------------------------------------------


def rewrite(path: Path, sql: str, *params: object) -> None:
    """Change one row behind the store's back, as a hand edit or a broken tool would."""
    with sqlite3.connect(path) as db:
        assert db.execute(sql, params).rowcount == 1


def test_reading_skips_a_damaged_row_names_it_and_forgets_it_once_repaired(store: ReviewStore) -> None:
    session = store.start_session("study", ["starter"], now=T0)
    other = store.start_session("drill", ["starter"], now=T0)
    for hours, card in [(0, "starter/a"), (1, "starter/b"), (2, "starter/a")]:
        store.record_review(session, card, 0, "x", RIGHT, 3, 1, now=T0 + timedelta(hours=hours))
    rewrite(store.path, "UPDATE reviews SET reviewed_at = '10 March' WHERE id = 2")
    rewrite(store.path, "UPDATE sessions SET deck_ids = '[\"starter\"' WHERE id = ?", other)
    assert store.damaged_rows == ()  # nothing is reported before it is read
    assert [r.id for r in store.reviews()] == [1, 3]
    assert [s.id for s in store.sessions()] == [session]
    assert [str(row) for row in store.damaged_rows] == [
        "skipped a damaged row of the review log: reviews id 2 (card starter/b): reviewed_at '10 March' is not a date",
        "skipped a damaged row of the review log: sessions id 2: deck_ids '[\"starter\"' is not a JSON list of deck ids",
    ]
    assert [r.id for r in store.reviews("starter/a")] == [1, 3]  # one card's: the rest stays noted
    assert len(store.damaged_rows) == 2
    rewrite(
        store.path, "UPDATE reviews SET reviewed_at = ? WHERE id = 2", (T0 + timedelta(hours=1)).isoformat()
    )
    rewrite(store.path, "DELETE FROM sessions WHERE id = ?", other)
    assert [r.id for r in store.reviews()] == [1, 2, 3]
    assert len(store.sessions()) == 1
    assert store.damaged_rows == ()


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("fsrs_json", "{not json", "fsrs_json '{not json' is not an fsrs card state in JSON"),
        ("fsrs_json", "[]", "fsrs_json '[]' is not an fsrs card state in JSON"),
        ("fsrs_json", '{"card_id": 1}', "is not an fsrs card state in JSON"),
        ("due", "soon", "due 'soon' is not a date"),
        ("last_review", "2026-02-30T00:00:00+00:00", "last_review '2026-02-30T00:00:00+00:00' is not a date"),
        ("reps", "many", "reps 'many' is not a whole number"),
    ],
)
def test_a_damaged_card_state_is_skipped_and_the_counts_go_on(
    store: ReviewStore, column: str, value: str, problem: str
) -> None:
    from engine.study.scheduling import StudyScheduler

    scheduler = StudyScheduler(store)
    for card_id in ("starter/a", "starter/b"):
        scheduler.review(card_id, 3, now=T0)
    rewrite(store.path, f"UPDATE card_states SET {column} = ? WHERE card_id = 'starter/b'", value)
    assert set(store.card_records()) == {"starter/a"}
    (damaged,) = store.damaged_rows
    assert (damaged.table, damaged.row) == ("card_states", "card starter/b")
    assert problem in damaged.problem
    # The home screen's counts: the damaged card counts as never studied, the others as before.
    counts = scheduler.counts(["starter/a", "starter/b", "starter/c"], now=T0 + timedelta(days=30))
    assert (counts.due, counts.new, counts.total) == (1, 2, 3)


def test_a_damaged_drill_result_is_skipped(store: ReviewStore) -> None:
    from engine.storage import DrillResult

    first = store.start_session("drill", ["starter"], now=T0)
    second = store.start_session("drill", ["starter"], now=T0)
    for session in (first, second):
        store.save_drill_result(DrillResult(session, T0, 4, 4, 3, 3.0, 90_000, time_limit_s=300))
    rewrite(store.path, "UPDATE drill_results SET questions = 'four' WHERE session_id = ?", second)
    assert [d.session_id for d in store.drill_results()] == [first]
    (damaged,) = store.damaged_rows
    assert str(damaged).endswith("drill_results session 2: questions 'four' is not a whole number")
