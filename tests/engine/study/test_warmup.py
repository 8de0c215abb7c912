"""The warm-up before the first check: it imports and runs what checks need, once, and never fails.

How much faster it makes the first check is measured in benchmarks/first_check.py, not
here: timings do not belong in tests.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

import pytest

import engine.references
from engine.decks.cards import Card
from engine.study import warmup


@pytest.fixture
def cold(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if this process had not warmed up yet (restored afterwards)."""
    monkeypatch.setattr(warmup, "_done", False)


@pytest.mark.usefixtures("cold")
def test_warm_up_runs_a_real_check_of_each_kind(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    checked: list[tuple[str, str]] = []
    check = warmup._check

    def spy(card: Card, answer: str) -> None:
        check(card, answer)  # raises when the verdict could not read the answer
        checked.append((card.kind, card.reference.name if card.reference else ""))

    monkeypatch.setattr(warmup, "_check", spy)
    with caplog.at_level(logging.INFO, logger="engine.study.warmup"):
        warmup.warm_up()
    assert caplog.records == []  # no step failed
    assert {"sympy", "torch", "torch.optim", "torch.nn.functional", "engine.checking"} <= set(sys.modules)
    assert ("steps", "adam_step") in checked  # a torch.optim step
    assert ("numeric", "gelu") in checked  # a torch.nn.functional op
    assert sum(kind == "symbolic" for kind, _ in checked) == 3


@pytest.mark.usefixtures("cold")
def test_a_second_call_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for step in ("_import_libraries", "_symbolic_check", "_optimizer_check", "_functional_check"):
        monkeypatch.setattr(warmup, step, lambda step=step: calls.append(step))
    warmup.warm_up()
    warmup.warm_up()
    assert calls == ["_import_libraries", "_symbolic_check", "_optimizer_check", "_functional_check"]


@pytest.mark.usefixtures("cold")
def test_failing_torch_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("CUDA error: out of memory")

    monkeypatch.setattr(engine.references, "run_reference", broken)
    with caplog.at_level(logging.INFO, logger="engine.study.warmup"):
        warmup.warm_up()
    failed = [record.getMessage() for record in caplog.records]
    assert failed == [
        "warm-up: the torch.optim check failed; the first real one will pay for it",
        "warm-up: the torch.nn.functional check failed; the first real one will pay for it",
    ]
    assert "sympy" in sys.modules  # the symbolic check still ran
    assert warmup._done  # and it is not tried again at every call


@pytest.mark.usefixtures("cold")
def test_no_torch_at_all_is_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    warmup.warm_up()
    assert warmup._done


@pytest.mark.usefixtures("cold")
def test_calls_from_several_threads_share_one_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    started = threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(0.05)
        calls.append("warmed")

    for step in ("_import_libraries", "_symbolic_check", "_optimizer_check"):
        monkeypatch.setattr(warmup, step, lambda: None)
    monkeypatch.setattr(warmup, "_functional_check", slow)
    finished: list[bool] = []

    def call() -> None:
        warmup.warm_up()
        finished.append(warmup._done)  # each caller returns only once it is warm

    threads = [threading.Thread(target=call) for _ in range(4)]
    threads[0].start()
    started.wait(5)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert calls == ["warmed"]
    assert finished == [True] * 4
