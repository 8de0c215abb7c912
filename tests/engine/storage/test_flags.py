"""Cards set aside in the log (engine.storage.flags): suspended, buried until the next study day, restored."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.storage import ReviewStore
from engine.storage.flags import CardFlags, LeechRule, next_day_start

TZ = timezone(timedelta(hours=-5))  # study days start at 04:00 here, 09:00 UTC
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 07:00 local


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ReviewStore]:
    with ReviewStore.open(tmp_path / "quizapp.sqlite3", local_tz=TZ) as opened:
        yield opened


def test_a_card_with_no_flags_is_in_play(store: ReviewStore) -> None:
    assert store.flags("d/a") is None
    assert store.set_aside_now(["d/a"], T0) == frozenset()


def test_suspend_until_unsuspended(store: ReviewStore) -> None:
    assert store.suspend("d/a", T0) is None  # no flags before
    flags = store.flags("d/a")
    assert flags == CardFlags("d/a", suspended=True, changed_at=T0)
    assert store.set_aside_now(["d/a", "d/b"], T0 + timedelta(days=400)) == {"d/a"}
    store.unsuspend("d/a", T0)
    assert store.flags("d/a") is None  # nothing set: the row goes


def test_bury_until_the_next_study_day(store: ReviewStore) -> None:
    store.bury("d/a", T0)
    flags = store.flags("d/a")
    assert flags is not None
    assert flags.buried_until == datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # 04:00 local tomorrow
    assert store.set_aside_now(["d/a"], datetime(2026, 3, 11, 8, 59, tzinfo=UTC)) == {"d/a"}
    assert store.set_aside_now(["d/a"], datetime(2026, 3, 11, 9, 0, tzinfo=UTC)) == frozenset()


def test_burying_after_midnight_counts_from_the_study_day_it_is_in(store: ReviewStore) -> None:
    late = datetime(2026, 3, 11, 7, 30, tzinfo=UTC)  # 02:30 local: still the 10th's study day
    assert next_day_start(late, 4, TZ) == datetime(2026, 3, 11, 9, 0, tzinfo=UTC)


def test_restore_puts_back_exactly_what_was_there(store: ReviewStore) -> None:
    store.bury("d/a", T0)
    before = store.flags("d/a")
    previous = store.suspend("d/a", T0 + timedelta(minutes=1))
    assert previous == before
    store.restore_flags("d/a", previous)
    assert store.flags("d/a") == before
    store.restore_flags("d/a", None)
    assert store.flags("d/a") is None


def test_a_damaged_flag_row_is_skipped_and_named(store: ReviewStore) -> None:
    store.suspend("d/a", T0)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE card_flags SET buried_until = 'soon' WHERE card_id = 'd/a'")
    assert store.card_flags() == {}
    assert any("card_flags" in str(row) for row in store.damaged_rows)


def test_a_full_card_id_is_required(store: ReviewStore) -> None:
    with pytest.raises(ValueError, match="full card id"):
        store.suspend("no-deck", T0)


@pytest.mark.parametrize(("lapses", "action"), [(0, "suspend"), (3, "delete"), (True, "tag")])
def test_a_leech_rule_is_checked(lapses: int, action: str) -> None:
    with pytest.raises(ValueError, match="leech"):
        LeechRule(lapses, action)  # type: ignore[arg-type]


def test_a_leech_rule_from_settings() -> None:
    class Settings:
        leech_lapses = 5
        leech_action = "tag"

    assert LeechRule.of(Settings()) == LeechRule(5, "tag")
    assert LeechRule().reached(7, 8)
    assert not LeechRule().reached(8, 9)  # it became one at 8
