"""Pay the one-off costs of checking before the learner's first answer does.

The first check of a launch is slow for reasons that have nothing to do with the answer:
importing sympy and torch (seconds), torch.optim's first `step()` importing
torch._dynamo (some ninety modules), the first call of each torch.nn.functional op, the
first sympy canonicalisation, and on a GPU machine CUDA's start-up. Later checks take a
few milliseconds. `warm_up()` runs one tiny real check of each kind, through the very
functions a study session calls (`draw_instance`, then `check_answer`, which solves the
card with its torch reference), so that the first real check costs what later ones do.

It is meant for a worker thread started once the deck list is shown; it is an
optimisation only, so it never raises: a step that fails is logged and skipped, and the
first real check then simply pays that cost itself.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.decks.cards import Card, CardKind

_log = logging.getLogger(__name__)
_lock = threading.Lock()
_done = False


def warm_up() -> None:
    """Start sympy's worker, import torch and run one tiny check of each kind: symbolic, torch.optim, F.

    Safe from any thread. Idempotent: the first call does the work (seconds) and later
    ones return at once; a call made while another thread is warming up waits for it,
    so a check that calls `warm_up()` first never runs torch alongside the warm-up.
    Never raises (for an `Exception`): failures are logged at INFO and ignored.
    """
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        steps: tuple[tuple[str, Callable[[], None]], ...] = (
            ("import of sympy and torch", _import_libraries),
            ("symbolic check", _symbolic_check),
            ("torch.optim check", _optimizer_check),
            ("torch.nn.functional check", _functional_check),
        )
        for what, step in steps:
            try:
                step()
            except Exception:
                _log.info("warm-up: the %s failed; the first real one will pay for it", what, exc_info=True)
        # Done even after a failure: what failed here (no torch, say) would fail again.
        _done = True


def _import_libraries() -> None:
    """torch and the engine's checking modules (and numpy); sympy runs in the checker's
    worker process (engine.checking.timeouts), which is started here without waiting for it."""
    from engine.checking.equivalence import SYMPY

    SYMPY.warm()
    for module in ("torch", "engine.checking", "engine.decks.solution"):
        importlib.import_module(module)


def _symbolic_check() -> None:
    """Three answers to tanh′(x) = 1 − tanh(x)²: equal in sympy's canonical form, equal
    only at the sampled points, and a declared mistake (each takes its own path through
    the check: sympy, numpy at random points, the mistakes)."""
    from engine.decks.cards import DeclaredMistake, Formula
    from engine.expr.domains import REAL

    card = _card(
        "symbolic",
        "symbolic",
        answer=Formula("1 - tanh(x)^2", 1),
        variables={"x": REAL},
        mistakes=(DeclaredMistake(Formula("1 - tanh(x)", 1), "square the tanh", "no-square"),),
    )
    for answer in ("-tanh(x)^2 + 1", "(1 - tanh(x))*(1 + tanh(x))", "1 - tanh(x)"):
        _check(card, answer)


def _optimizer_check() -> None:
    """One Adam step through the `adam_step` reference, as a steps card of the decks asks it.

    The first `torch.optim` step of a process imports torch._dynamo; other optimizers
    share that cost, so one is enough. A steps card also brings in what only steps
    cards use (labels of the parts, rendered from their prompts).
    """
    from engine.decks.cards import Formula, Given, ReferenceUse, Step

    card = _card(
        "optimizer",
        "steps",
        given=(Given("theta", 0.5, 1), Given("grad", 0.25, 1), Given("lr", 0.1, 1)),
        reference=ReferenceUse("adam_step", 1, None, (("theta_prev", Formula("theta", 1)),)),
        steps=(
            Step("m", "$m_1$ =", Formula("(1 - 0.9)*grad", 1), line=1),
            Step("theta_1", "$θ_1$ =", None, output="theta", line=1),
        ),
    )
    _check(card, "0.025; 0.4")


def _functional_check() -> None:
    """One `torch.nn.functional` op (GELU) through its reference, as a numeric card runs it."""
    from engine.decks.cards import Given, ReferenceUse

    card = _card("functional", "numeric", given=(Given("x", 0.5, 1),), reference=ReferenceUse("gelu", 1))
    _check(card, "0.35")


def _card(card_id: str, kind: CardKind, **fields: Any) -> Card:
    """A card as the loader would read it, for a deck that exists only in memory."""
    from engine.decks.cards import Card

    return Card(
        deck_id="warm-up",
        card_id=card_id,
        title=card_id,
        kind=kind,
        prompt="",
        explanation="",
        path=Path("<warm-up>"),
        line=1,
        **fields,
    )


def _check(card: Card, answer: str) -> None:
    """Check `answer` as a study session does: a fresh instance, then `check_answer`.

    A verdict that could not read the answer means the check went wrong somewhere,
    so it is raised as a failure of this step (and logged), not silently taken as warm.
    """
    from engine.decks.instance import draw_instance
    from engine.decks.kinds import check_answer

    verdict = check_answer(draw_instance(card, 0), answer)
    if not verdict.readable:
        raise RuntimeError(f"the warm-up {card.card_id} check could not read {answer!r}: {verdict}")
