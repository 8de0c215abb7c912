"""`quizapp validate --json`: each problem as fields, every one with a stable, documented code."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.authoring.validation import validate
from engine.decks.problems import CODES
from tests.conftest import FIXTURES, REPO, run_cli

FIELDS = ["file", "line", "card", "part", "severity", "code", "message"]

BROKEN = r"""
---
id: broken
---

## Unknown given {#unknown-given}

```quiz
kind: numeric
given:
  theta_prev: uniform(-1, 1)
  grad: uniform(-1, 1)
  beta: 0.9
answer: theta_prev - 0.01*grad/(sqrt(0.01*grad^2) + 1e-8)
precision: 4 dp
reference: {name: rmsprop_step, output: theta}
```

θ = {theta_prev}, g = {grad}, lr = 0.01. θ after one step?

## Adam without bias correction {#uncorrected}

```quiz
kind: steps
given:
  theta_prev: uniform(-1, 1)
  grad: uniform(-1, 1)
  lr: 0.1
reference: adam_step
steps:
  - name: theta
    prompt: "\theta_1 ="
    answer: theta_prev - lr*(1 - beta1)*grad/(sqrt((1 - beta2)*grad^2) + eps)
```

Adam with lr = {lr} at θ = {theta_prev}, g = {grad}.

## Not YAML {#not-yaml}

```quiz
kind: numeric
answer: [1, 2
```

Q

## Sloppy {#sloppy}

```quiz
kind: numeric
given:
  x: uniform(0, 1)
answr: x
answer: log(x - 2)
```

{y} at {x}?

## Too tolerant {#tolerant}

```quiz
kind: numeric
answer: 1
tolerance: 2
```

Q

## No id

### Answer
A
"""


@pytest.fixture
def broken(write_deck: Callable[..., Path]) -> Path:
    return write_deck(BROKEN, name="broken.md")


def json_report(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, dict[str, Any]]:
    code, out, _ = run_cli(capsys, "validate", *map(str, paths), "--json", "--samples", "50")
    return code, json.loads(out)


def test_each_problem_is_given_as_fields(capsys: pytest.CaptureFixture[str], broken: Path) -> None:
    code, report = json_report(capsys, broken)
    assert code == 1
    problems = report["problems"]
    assert problems
    for problem in problems:
        assert list(problem)[: len(FIELDS)] == FIELDS
        assert problem["file"] == str(broken)
        assert problem["code"] in CODES, problem
    by_code = {p["code"]: p for p in problems}
    assert {"unknown-given", "control-character", "formula-disagrees-with-torch", "yaml-error"} <= set(
        by_code
    )
    assert by_code["unknown-given"]["card"] == "broken/unknown-given"
    assert by_code["unknown-given"]["part"] is None
    assert by_code["unknown-given"]["line"] == 12
    assert by_code["control-character"]["part"] == "theta"
    assert by_code["yaml-error"]["card"] == "broken/not-yaml"
    assert by_code["missing-card-id"]["severity"] == "warning"
    assert {"unknown-key", "placeholder-without-value", "not-finite", "invalid-tolerance"} <= set(by_code)


def test_a_disagreement_gives_its_instance_values_and_mistake(
    capsys: pytest.CaptureFixture[str], broken: Path
) -> None:
    _, report = json_report(capsys, broken)
    [problem] = [p for p in report["problems"] if p["code"] == "formula-disagrees-with-torch"]
    assert problem["card"] == "broken/uncorrected"
    assert problem["part"] == "theta"
    assert isinstance(problem["seed"], int)
    assert set(problem["inputs"]) == {"theta_prev", "grad", "lr"}
    assert f"at seed {problem['seed']}" in problem["message"]
    assert f"formula {problem['formula']}, torch {problem['torch']}" in problem["message"]
    assert problem["mistake"] == "no-bias-correction"
    for key in ("seed", "inputs", "formula", "torch", "mistake"):
        assert key in problem


def test_a_problem_without_an_instance_has_no_instance_fields(
    capsys: pytest.CaptureFixture[str], broken: Path
) -> None:
    _, report = json_report(capsys, broken)
    [problem] = [p for p in report["problems"] if p["code"] == "unknown-given"]
    assert set(problem) == set(FIELDS)


def test_the_text_output_is_unchanged(capsys: pytest.CaptureFixture[str], broken: Path) -> None:
    code, out, err = run_cli(capsys, "validate", str(broken), "--samples", "50")
    _, report = json_report(capsys, broken)
    assert code == 1
    assert out.splitlines() == [
        f"{p['file']}:{p['line']}: {p['severity']}: {p['message']}" for p in report["problems"]
    ]
    assert err.strip().endswith(f"{report['errors']} errors, {report['warnings']} warnings")


def test_every_problem_of_many_broken_decks_has_a_documented_code(
    write_deck: Callable[..., Path], broken: Path
) -> None:
    hostile = write_deck("---\nid: [x\n---\n## A {#a}\n\nQ\n", name="front.md")
    empty = write_deck("no cards here\n", name="empty.md")
    report = validate([broken, hostile, empty, FIXTURES / "notes" / "wrong.md"], samples=20)
    assert len(report.problems) > 20
    assert [p for p in report.problems if p.code not in CODES] == []


def _code_of(call: ast.Call, name: str) -> ast.expr | None:
    """The `code` a call that records a problem passes, by keyword or position; None if none."""
    positions = {"Problem": 4, "fail": 2, "problem": 2}
    for keyword in call.keywords:
        if keyword.arg == "code":
            return keyword.value
    position = positions.get(name)
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def test_every_place_that_records_a_problem_gives_a_documented_code() -> None:
    """A static check: `Problem(...)`, `.report(...)`, `.problem(...)`, `.fail(...)` where decks are
    read and validated (a problem nobody triggers in a test still needs its code)."""
    missing: list[str] = []
    unknown: list[str] = []
    sources = [*(REPO / "engine" / "decks").rglob("*.py"), *(REPO / "engine" / "authoring").rglob("*.py")]
    for source in sorted(sources):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in ("Problem", "report", "problem", "fail") or (name != "Problem" and not node.args):
                continue
            where = f"{source.relative_to(REPO)}:{node.lineno}"
            code = _code_of(node, name)
            if code is None:
                missing.append(where)
            elif isinstance(code, ast.Constant) and code.value not in CODES:
                unknown.append(f"{where}: {code.value!r}")
    assert missing == []
    assert unknown == []


def test_the_codes_table_of_the_docs_is_the_codes_of_the_engine() -> None:
    doc = (REPO / "docs" / "deck-format.md").read_text(encoding="utf-8")
    section = (
        doc.split("### `validate --json`", 1)[1].split("| code | the problem |", 1)[1].split("\n## ", 1)[0]
    )
    documented = re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE)
    assert documented == list(CODES)
