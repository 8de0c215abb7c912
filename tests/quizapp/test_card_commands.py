"""`quizapp cards` and `quizapp log export|import`: their output and exit status."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.checking.verdict import Verdict
from engine.storage import ReviewStore
from engine.study.scheduling import AGAIN, EASY, GOOD, StudyScheduler
from tests.conftest import run_cli as run

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


def fill(data: Path) -> dict[str, datetime]:
    """A log with three bundled cards studied over a few days; returns their due dates."""
    with ReviewStore.open(data / "quizapp.sqlite3") as store:
        scheduler = StudyScheduler(store)
        plan = [
            ("starter/sigmoid-derivative", GOOD, T0),
            ("starter/sigmoid-derivative", AGAIN, T0 + timedelta(days=2)),
            ("starter/gelu-at-point", EASY, T0 + timedelta(hours=3)),
            ("optimizers/adam-first-step-symbolic", GOOD, T0 + timedelta(days=1)),
        ]
        for card_id, rating, when in plan:
            verdict = Verdict(
                rating >= GOOD, "x", "y", "", mistake=None if rating >= GOOD else "forgot-to-differentiate"
            )
            store.record_review(
                None,
                card_id,
                0,
                "σ(x)",
                verdict,
                rating,
                9000,
                now=when,
                reschedule=scheduler.rescheduler(card_id, when),
            )
        store.suspend("starter/gelu-at-point", T0)
        return {card_id: record.due for card_id, record in store.card_records().items()}


def test_cards_lists_the_matches_with_their_state(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fill(tmp_path)
    code, out, err = run(capsys, "--data-dir", str(tmp_path), "cards", "--", "deck:starter", "-is:new")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["starter/sigmoid-derivative", "starter/gelu-at-point"]
    assert "suspended" in lines[1]
    assert "2 of " in err
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "cards", "is:suspended", "--json")
    (card,) = json.loads(out)
    assert (card["card_id"], card["state"], card["suspended"]) == ("starter/gelu-at-point", "review", True)


def test_cards_refuses_a_query_it_cannot_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "cards", "sort:colour")
    assert code == 2
    assert "sort:colour is not an order" in err


def test_export_then_import_into_an_empty_data_dir_gives_the_same_due_dates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    due = fill(tmp_path / "old")
    exported = tmp_path / "reviews.jsonl"
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "old"), "log", "export", str(exported))
    assert code == 0
    assert f"exported 4 reviews to {exported}" in out
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "new"), "log", "import", str(exported))
    assert code == 0
    assert "imported 4 reviews (0 already in the log)" in out
    with ReviewStore.open(tmp_path / "new" / "quizapp.sqlite3") as store:
        assert {card_id: record.due for card_id, record in store.card_records().items()} == due
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "new"), "log", "import", str(exported))
    assert code == 0
    assert "imported 0 reviews (4 already in the log)" in out


def test_import_reports_bad_lines_and_imports_the_rest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fill(tmp_path / "old")
    exported = tmp_path / "reviews.jsonl"
    run(capsys, "--data-dir", str(tmp_path / "old"), "log", "export", str(exported))
    lines = exported.read_text(encoding="utf-8").splitlines()
    exported.write_text(
        "\n".join([lines[0], '{"card_id": "starter/x"}', *lines[1:]]) + "\n", encoding="utf-8"
    )
    code, out, err = run(capsys, "--data-dir", str(tmp_path / "new"), "log", "import", str(exported))
    assert code == 1
    assert f"{exported}:2: skipped: no 'reviewed_at'" in err
    assert "imported 4 reviews" in out


def test_import_of_a_missing_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "log", "import", str(tmp_path / "nowhere.jsonl"))
    assert code == 2
    assert "cannot read" in err
