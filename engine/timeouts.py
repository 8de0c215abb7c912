"""Give every potentially slow computation a deadline the caller can rely on.

sympy can take unbounded time on innocent-looking input. The parser's bounds make that
rare, and the work done with sympy is small; this is the backstop: the computation runs
in a daemon thread and the caller gets `CheckTimeout` on time, whatever happens to the
thread. (A daemon thread never keeps the process alive at exit.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from engine.errors import CheckTimeout

T = TypeVar("T")


def run_with_timeout(task: Callable[[], T], seconds: float, what: str = "the check") -> T:
    """Return `task()`, or raise `CheckTimeout` if it has not finished within `seconds`."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(task())
        except BaseException as error:  # re-raised in the caller's thread below
            failure.append(error)

    thread = threading.Thread(target=target, name="quizapp-bounded", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise CheckTimeout(f"{what} took longer than {seconds:g} s and was stopped")
    if failure:
        raise failure[0]
    return outcome[0]
