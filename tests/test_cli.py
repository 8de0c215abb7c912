"""The command line: every command, its output and its exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from quizapp.cli import main
from tests.conftest import REPO


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exit:  # argparse's own usage errors
        code = int(exit.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_shows_decks_and_cards(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "starter  Starter" in out
    assert "gelu-at-point" in out and "numeric" in out


def test_list_reports_a_broken_deck_and_lists_the_rest(
    capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]
) -> None:
    write_deck("## Ok {#ok}\n\nFront\n\n### Answer\nBack\n", name="fine.md")
    broken = write_deck("## Bad {#bad}\n\n```quiz\nkind: [\n```\n", name="broken.md")
    code, out, err = run(capsys, "list", str(broken.parent))
    assert code == 0
    assert "fine" in out and "ok" in out
    assert f"{broken}:5: error: quiz block is not valid YAML" in err  # the stream ends at the fence


def test_show_prints_the_prompt_and_reveals_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "starter/gelu-at-point", "--seed", "4")
    assert code == 0
    assert out.startswith("starter/gelu-at-point  (numeric, seed 4)")
    assert "Compute $\\mathrm{GELU}(x)$ at $x = " in out and "{x}" not in out
    assert "quizapp check starter/gelu-at-point --seed 4" in out
    code, out, _ = run(capsys, "show", "starter/gelu-at-point", "--seed", "4", "--reveal")
    assert "Expected: " in out and "standard normal CDF" in out


def test_check_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "starter/sigmoid-derivative", "--answer", "σ(x)(1-σ(x))", "--json")
    verdict = json.loads(out)
    assert code == 0
    assert {"correct", "interpreted", "expected", "feedback", "mistake", "error"} <= set(verdict)
    assert verdict["correct"] is True and verdict["interpreted"] == "σ(x)·(1 − σ(x))"
    code, out, _ = run(capsys, "check", "starter/sigmoid-derivative", "--answer", "sigmoid(x)", "--json")
    verdict = json.loads(out)
    assert code == 1 and verdict["mistake"] == "forgot-to-differentiate"
    code, out, _ = run(capsys, "check", "starter/sigmoid-derivative", "--answer", "(x", "--json")
    verdict = json.loads(out)
    assert code == 1 and verdict["interpreted"] is None and "expected ')'" in verdict["error"]


def test_check_text_output_and_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "check", "starter/hessian-classify", "--answer", "a")
    assert code == 1
    assert out.splitlines()[0] == "✗ Wrong: the answer is saddle point."
    assert "expected: saddle point" in out
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("saddle point\n"))
    code, out, _ = run(capsys, "check", "starter/hessian-classify", "--answer", "-")
    assert code == 0 and out.startswith("✓ Correct.")


def test_check_a_deck_outside_the_bundled_ones(
    capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]
) -> None:
    path = write_deck("## Two {#two}\n\n```quiz\nkind: numeric\nanswer: 1+1\n```\n\nOne plus one?\n")
    code, out, _ = run(capsys, "check", f"{path}#two", "--answer", "2")
    assert code == 0 and out.startswith("✓ Correct")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "starter/nope", "--answer", "1"], "deck 'starter' has no card 'nope'"),
        (["check", "nodeck/x", "--answer", "1"], "no deck 'nodeck'"),
        (["check", "missing.md#x", "--answer", "1"], "no deck file 'missing.md'"),
        (["check", "starter/why-layernorm-nlp", "--answer", "1"], "flash cards are self-rated"),
        (["show", "starter"], "write deck-id/card-id"),
        (["validate", "no/such/dir"], "no such file or folder: no/such/dir"),
        (["validate", "--samples", "0"], "--samples must be at least 1"),
    ],
)
def test_usage_errors_exit_2_with_a_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_argparse_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "starter/gelu-at-point")[0] == 2  # --answer missing
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "show", "starter/gelu-at-point", "--seed", "x")[0] == 2


def test_validate_exit_status_and_json(
    capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]
) -> None:
    code, out, err = run(capsys, "validate", str(REPO / "decks" / "starter.md"))
    assert code == 0 and out == "" and "1 decks, 8 cards: 0 errors, 0 warnings" in err
    bad = write_deck("## Q {#q}\n\n```quiz\nkind: numeric\nanswer: 1/0\n```\n\nQ\n")
    code, out, _ = run(capsys, "validate", str(bad))
    assert code == 1
    assert out.startswith(f"{bad}:5: error: answer is NaN or infinite")
    code, out, _ = run(capsys, "validate", str(bad), "--json")
    report = json.loads(out)
    assert code == 1 and report["errors"] == 1 and report["problems"][0]["line"] == 5


def test_validate_fix_ids(capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]) -> None:
    path = write_deck("## A card\n\nFront\n\n### Answer\nBack\n")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 0 and f"{path}:1: warning: card has no id" in out  # a warning alone passes
    code, out, err = run(capsys, "validate", str(path), "--fix-ids")
    assert code == 0 and out == ""
    assert f"{path}:1: added id {{#a-card}}" in err
    assert path.read_text().startswith("## A card {#a-card}\n")


def test_the_console_script_runs(tmp_path: Path) -> None:
    """The installed entry point, as a user runs it (no traceback for a bad card)."""
    result = subprocess.run(
        [sys.executable, "-m", "quizapp", "check", "starter/gelu-at-point", "--answer", "0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1 and result.stdout.startswith("✗ ")
    assert (REPO / "decks").is_dir()


def test_references_lists_one_or_all(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "references", "adam_step")
    assert code == 0 and "### `adam_step`" in out and "`beta2`" in out and "no-bias-correction" in out
    code, out, _ = run(capsys, "references")
    assert code == 0 and "## Curvature" in out and "### `hessian_classify`" in out
    code, _, err = run(capsys, "references", "gelo")
    assert code == 2 and "did you mean gelu" in err


def test_validate_device_cuda_without_cuda_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    code, _, err = run(capsys, "validate", "--device", "cuda")
    assert code == 2 and "cannot use CUDA" in err


def test_stats_and_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "data"), "stats")
    assert code == 0 and out.startswith("No reviews yet")
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "data"), "stats", "--json")
    assert code == 0 and json.loads(out)["reviews"] == 0
    code, out, _ = run(capsys, "export", "--anki", str(tmp_path / "starter.apkg"), "starter")
    assert code == 0 and "notes in 1 decks" in out and (tmp_path / "starter.apkg").is_file()
    code, _, err = run(capsys, "export", "--anki", str(tmp_path / "starter.zip"), "starter")
    assert code == 2 and ".apkg" in err
    code, _, err = run(capsys, "drill", "--deck", "starter", "--tag", "no-such-tag")
    assert code == 2 and "no checked cards" in err
