"""The command line: every command, its output and its exit status."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from quizapp.cli import attach_answer_values, build_parser
from tests.conftest import REPO
from tests.conftest import run_cli as run


def test_list_shows_decks_and_cards(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "starter  Starter" in out
    assert "gelu-at-point" in out
    assert "numeric" in out


def test_list_reports_a_broken_deck_and_lists_the_rest(
    capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]
) -> None:
    write_deck("## Ok {#ok}\n\nFront\n\n### Answer\nBack\n", name="fine.md")
    broken = write_deck("## Bad {#bad}\n\n```quiz\nkind: [\n```\n", name="broken.md")
    code, out, err = run(capsys, "list", str(broken.parent))
    assert code == 0
    assert "fine" in out
    assert "ok" in out
    assert f"{broken}:5: error: quiz block is not valid YAML" in err  # the stream ends at the fence


def test_show_prints_the_prompt_and_reveals_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "starter/gelu-at-point", "--seed", "4")
    assert code == 0
    assert out.startswith("starter/gelu-at-point  (numeric, seed 4)")
    assert "Compute $\\mathrm{GELU}(x)$ at $x = " in out
    assert "{x}" not in out
    assert "quizapp check starter/gelu-at-point --seed 4" in out
    code, out, _ = run(capsys, "show", "starter/gelu-at-point", "--seed", "4", "--reveal")
    assert "Expected: " in out
    assert "standard normal CDF" in out


def test_check_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "starter/sigmoid-derivative", "--answer", "σ(x)(1-σ(x))", "--json")
    verdict = json.loads(out)
    assert code == 0
    assert {"correct", "interpreted", "expected", "feedback", "mistake", "error"} <= set(verdict)
    assert verdict["correct"] is True
    assert verdict["interpreted"] == "σ(x)·(1 − σ(x))"
    code, out, _ = run(capsys, "check", "starter/sigmoid-derivative", "--answer", "sigmoid(x)", "--json")
    verdict = json.loads(out)
    assert code == 1
    assert verdict["mistake"] == "forgot-to-differentiate"
    code, out, _ = run(capsys, "check", "starter/sigmoid-derivative", "--answer", "(x", "--json")
    verdict = json.loads(out)
    assert code == 1
    assert verdict["interpreted"] is None
    assert "expected ')'" in verdict["error"]


def test_check_text_output_and_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "check", "starter/hessian-classify", "--answer", "a")
    assert code == 1
    assert out.splitlines()[0] == "✗ Wrong: the answer is saddle point."
    assert "expected: saddle point" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("saddle point\n"))
    code, out, _ = run(capsys, "check", "starter/hessian-classify", "--answer", "-")
    assert code == 0
    assert out.startswith("✓ Correct.")


def test_check_a_deck_outside_the_bundled_ones(
    capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]
) -> None:
    path = write_deck("## Two {#two}\n\n```quiz\nkind: numeric\nanswer: 1+1\n```\n\nOne plus one?\n")
    code, out, _ = run(capsys, "check", f"{path}#two", "--answer", "2")
    assert code == 0
    assert out.startswith("✓ Correct")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "starter/nope", "--answer", "1"], "deck 'starter' has no card 'nope'"),
        (["check", "nodeck/x", "--answer", "1"], "no deck 'nodeck'"),
        (["check", "missing.md#x", "--answer", "1"], "no deck file 'missing.md'"),
        (["check", "starter/why-layernorm-nlp", "--answer", "1"], "flash cards are self-rated"),
        (["show", "starter"], "write deck-id/card-id"),
        (["validate", "no/such/dir"], "no such file or folder: no/such/dir"),
    ],
)
def test_usage_errors_exit_2_with_a_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "starter/gelu-at-point"], "the following arguments are required: --answer"),
        (["check", "starter/gelu-at-point", "--answer"], "argument --answer: expected one argument"),
        (
            ["check", "starter/gelu-at-point", "--answer", "--json"],
            "argument --answer: expected one argument",
        ),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["--nope"], "unrecognized arguments: --nope"),
        (["stats", "--nope"], "unrecognized arguments: --nope"),
        (["show", "starter/gelu-at-point", "--seed", "x"], "argument --seed: invalid int value: 'x'"),
        (["validate", "--samples", "0"], "argument --samples: must be at least 1, got 0"),
        (["validate", "--samples", "many"], "argument --samples: expected a whole number, got 'many'"),
        (["validate", "--seed", "-1"], "argument --seed: must be at least 0, got -1"),
        (["validate", "--device", "tpu"], "argument --device: invalid choice: 'tpu'"),
        (["study", "--new-limit", "-1"], "argument --new-limit: must be at least 0, got -1"),
        (["drill", "--count", "0"], "argument --count: must be at least 1, got 0"),
        (["drill", "--minutes", "-1"], "argument --minutes: must be a finite number, 0 or more, got '-1'"),
        (["drill", "--minutes", "nan"], "argument --minutes: must be a finite number, 0 or more, got 'nan'"),
        (["drill", "--minutes", "inf"], "argument --minutes: must be a finite number, 0 or more, got 'inf'"),
        (["drill", "--minutes", "1e308"], "argument --minutes: must be a finite number, 0 or more"),
        (["drill", "--minutes", "soon"], "argument --minutes: expected a number of minutes, got 'soon'"),
    ],
)
def test_bad_options_exit_2_with_argparse_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """Every bad option is refused while parsing: usage, a message naming the option, status 2."""
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.startswith("usage: quizapp")
    assert message in err
    assert "Traceback" not in err


def test_export_to_a_folder_that_does_not_exist_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "starter.apkg"
    code, _, err = run(capsys, "export", "--anki", str(target), "starter")
    assert code == 2
    assert err == f"quizapp: cannot write {target}: No such file or directory\n"


def test_standard_input_that_is_not_utf8_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"\xff\xfe"), encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, _, err = run(capsys, "check", "starter/gelu-at-point", "--answer", "-")
    assert code == 2
    assert err == "quizapp: standard input is not utf-8 text\n"


@pytest.mark.parametrize(
    ("argv", "attached"),
    [
        (["check", "C", "--answer", "-x"], ["check", "C", "--answer=-x"]),
        (["check", "--answer", "-", "C"], ["check", "--answer=-", "C"]),
        (["check", "C", "--ans", "-x"], ["check", "C", "--ans=-x"]),  # an abbreviation argparse accepts
        (["check", "C", "--answer=-x"], ["check", "C", "--answer=-x"]),
        (["check", "C", "--answer", "--json"], ["check", "C", "--answer", "--json"]),  # forgotten answer
        (["check", "C", "--answer"], ["check", "C", "--answer"]),
        (["check", "--", "--answer", "-x"], ["check", "--", "--answer", "-x"]),  # after the end of options
        (["check", "C", "--seed", "-1", "--json"], ["check", "C", "--seed", "-1", "--json"]),
    ],
)
def test_attach_answer_values(argv: list[str], attached: list[str]) -> None:
    assert attach_answer_values(argv) == attached


SYMBOLIC = "## Negate {#negate}\n\n```quiz\nkind: symbolic\nvariables: [x]\nanswer: -x\n```\n\nNegate x.\n"


@pytest.mark.parametrize(
    ("answer_args", "read_as"),
    [
        (["--answer", "-x"], "−x"),
        (["--answer", "- x"], "−x"),
        (["--answer", "-(x)"], "−x"),
        (["--answer=-x"], "−x"),
        (["--ans", "-x"], "−x"),
        (["--answer", "-0.5*2*x"], "−0.5·2·x"),
    ],
)
def test_answers_beginning_with_a_dash(
    capsys: pytest.CaptureFixture[str],
    write_deck: Callable[..., Path],
    answer_args: list[str],
    read_as: str,
) -> None:
    path = write_deck(SYMBOLIC)
    code, out, err = run(capsys, "check", f"{path}#negate", *answer_args)
    assert (code, err) == (0, "")
    assert out.startswith("✓ Correct")
    assert f"read as: {read_as}" in out


def test_answers_beginning_with_a_dash_on_bundled_cards(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "starter/gelu-at-point", "--seed", "3", "--answer", "-0.01922")
    assert code == 0
    assert "read as: −0.01922" in out
    code, out, _ = run(capsys, "check", "starter/gelu-at-point", "--answer", "-0.5")
    assert code == 1
    assert "read as: −0.5" in out
    code, out, _ = run(capsys, "check", "starter/sigmoid-derivative", "--answer", "-sigmoid(x)", "--json")
    assert code == 1
    assert json.loads(out)["interpreted"] == "−σ(x)"
    code, out, _ = run(capsys, "check", "starter/sigmoid-derivative", "--answer", "-h")  # not --help
    assert code == 1
    assert "unknown name 'h'" in out


def test_a_dash_alone_still_reads_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, write_deck: Callable[..., Path]
) -> None:
    path = write_deck(SYMBOLIC)
    monkeypatch.setattr(sys, "stdin", io.StringIO("-x\n"))
    code, out, _ = run(capsys, "check", f"{path}#negate", "--answer", "-")
    assert code == 0
    assert "read as: −x" in out


def test_a_dash_answer_in_a_real_process(tmp_path: Path) -> None:
    """`main()` reads sys.argv itself when run as a program: the answer must still be attached there."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "quizapp",
            "check",
            "starter/gelu-at-point",
            "--seed",
            "3",
            "--answer",
            "-0.01922",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("✓ Correct")


STEPS = """\
## Two parts {#two-parts}

```quiz
kind: steps
given:
  a: 3
steps:
  - name: negated
    answer: -a
  - name: doubled
    answer: 2*negated
```

Given a = {a}, negate it, then double that.
"""


@pytest.mark.parametrize(
    "answer",
    ["-3; -6", "-3;-6", "-3\n-6", "  -3 \n -6  ", "-3\n-6\n"],
)
def test_steps_parts_separated_by_semicolons_or_new_lines(
    capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path], answer: str
) -> None:
    path = write_deck(STEPS)
    code, out, err = run(capsys, "check", f"{path}#two-parts", "--answer", answer, "--json")
    verdict = json.loads(out)
    assert (code, err) == (0, ""), out
    assert verdict["correct"] is True
    assert [part["part"] for part in verdict["parts"]] == ["negated", "doubled"]


@pytest.mark.parametrize("stdin", ["-3; -6\n", "-3\n-6\n", "-3\n-6"])
def test_steps_parts_from_standard_input(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    write_deck: Callable[..., Path],
    stdin: str,
) -> None:
    """A final line end (`echo ... |`) is not one more, empty, part."""
    path = write_deck(STEPS)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code, out, _ = run(capsys, "check", f"{path}#two-parts", "--answer", "-")
    assert code == 0, out
    assert out.startswith("✓ "), out


def test_steps_with_a_wrong_number_of_parts(
    capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]
) -> None:
    path = write_deck(STEPS)
    code, out, _ = run(capsys, "check", f"{path}#two-parts", "--answer", "-3; -6; 1")
    assert code == 1
    assert "Give 2 answers separated by ';' (negated, doubled)." in out


def test_validate_exit_status_and_json(
    capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]
) -> None:
    code, out, err = run(capsys, "validate", str(REPO / "decks" / "starter.md"))
    assert code == 0
    assert out == ""
    assert "1 decks, 9 cards: 0 errors, 0 warnings" in err
    bad = write_deck("## Q {#q}\n\n```quiz\nkind: numeric\nanswer: 1/0\n```\n\nQ\n")
    code, out, _ = run(capsys, "validate", str(bad))
    assert code == 1
    assert out.startswith(f"{bad}:5: error: answer is NaN or infinite")
    code, out, _ = run(capsys, "validate", str(bad), "--json")
    report = json.loads(out)
    assert code == 1
    assert report["errors"] == 1
    assert report["problems"][0]["line"] == 5


def test_validate_fix_ids(capsys: pytest.CaptureFixture[str], write_deck: Callable[..., Path]) -> None:
    path = write_deck("## A card\n\nFront\n\n### Answer\nBack\n")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 0
    assert f"{path}:1: warning: card has no id" in out
    code, out, err = run(capsys, "validate", str(path), "--fix-ids")
    assert code == 0
    assert out == ""
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
    assert result.returncode == 1
    assert result.stdout.startswith("✗ ")
    assert (REPO / "decks").is_dir()


def test_references_lists_one_or_all(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "references", "adam_step")
    assert code == 0
    assert "### `adam_step`" in out
    assert "`beta2`" in out
    assert "no-bias-correction" in out
    code, out, _ = run(capsys, "references")
    assert code == 0
    assert "## Curvature" in out
    assert "### `hessian_classify`" in out
    code, _, err = run(capsys, "references", "gelo")
    assert code == 2
    assert "did you mean gelu" in err


def test_validate_device_cuda_without_cuda_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    code, _, err = run(capsys, "validate", "--device", "cuda")
    assert code == 2
    assert "cannot use CUDA" in err


def test_stats_and_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "data"), "stats")
    assert code == 0
    assert out.startswith("No reviews yet")
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "data"), "stats", "--json")
    assert code == 0
    assert json.loads(out)["reviews"] == 0
    code, out, _ = run(capsys, "export", "--anki", str(tmp_path / "starter.apkg"), "starter")
    assert code == 0
    assert "notes in 1 decks" in out
    assert (tmp_path / "starter.apkg").is_file()
    code, _, err = run(capsys, "export", "--anki", str(tmp_path / "starter.zip"), "starter")
    assert code == 2
    assert ".apkg" in err
    code, _, err = run(capsys, "drill", "--deck", "starter", "--tag", "no-such-tag")
    assert code == 2
    assert "no checked cards" in err


# The arguments each command needs, to show that every command takes the global options.
COMMAND_ARGS: dict[str, list[str]] = {
    "study": [],
    "list": [],
    "show": ["starter/gelu-at-point"],
    "check": ["starter/gelu-at-point", "--answer", "-x"],
    "validate": [],
    "drill": [],
    "stats": [],
    "export": ["--anki", "out.apkg"],
    "references": [],
    "config": [],
    "optimize": ["--dry-run"],
    "cards": ["is:due"],
    "log": ["export", "out.jsonl"],
}


def test_every_command_is_covered_by_the_global_option_tests() -> None:
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) == set(COMMAND_ARGS)


@pytest.mark.parametrize("command", sorted(COMMAND_ARGS))
@pytest.mark.parametrize("placement", ["before", "after", "none"])
def test_global_options_before_or_after_the_command(command: str, placement: str) -> None:
    data_dir = ["--data-dir", "/some/where"]
    before, after = {"before": (data_dir, []), "after": ([], data_dir), "none": ([], [])}[placement]
    argv = [*before, command, *COMMAND_ARGS[command], *after]
    args = build_parser().parse_args(attach_answer_values(argv))
    assert args.command == command
    assert args.data_dir == (None if placement == "none" else Path("/some/where"))


def test_global_options_without_a_command() -> None:
    assert build_parser().parse_args(["--data-dir", "D"]).data_dir == Path("D")
    assert build_parser().parse_args([]).data_dir is None


def test_a_global_option_given_twice_takes_the_later() -> None:
    args = build_parser().parse_args(["--data-dir", "first", "stats", "--data-dir", "second"])
    assert args.data_dir == Path("second")


@pytest.mark.parametrize("placement", ["before", "after"])
def test_stats_uses_the_data_dir_given_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, placement: str
) -> None:
    data = tmp_path / "data"
    data_dir = ["--data-dir", str(data)]
    argv = [*data_dir, "stats"] if placement == "before" else ["stats", *data_dir]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert out.startswith("No reviews yet")
    assert (data / "quizapp.sqlite3").is_file()
