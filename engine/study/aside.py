"""Setting cards aside during a session (suspend, bury), taking that back, and the session's leeches.

The study screen suspends or buries the card in front of the learner. Two cases:

- before it is answered (or when it is broken): it leaves this session's queue at once,
  and the next card comes;
- after its verdict: the answer stays recorded; the card just comes back later (bury)
  or not at all (suspend).

Either is one step the learner can take back with undo, like an answer: `SetAsides.undo`
takes back the latest one while it is the latest thing done (no answer since), putting
the card's flags back exactly as they were and, when it had left the queue, the card
back where it was. An undo after that takes back answers, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from engine.decks.cards import Card
from engine.decks.instance import Instance
from engine.storage import DAY_START_HOUR
from engine.storage.flags import CardFlags, Leech
from engine.study.session import Answered, AnswerSession

How = Literal["suspend", "bury"]


@dataclass(frozen=True)
class SetAside:
    """One card set aside in this session, and what taking it back needs."""

    card: Card
    how: How
    previous: CardFlags | None  # its flags before
    answered: int  # how many answers the session held then
    position: int  # where it was in the queue
    removed: bool  # it left the queue (it had not been answered)
    instance: Instance | None  # the instance being asked, to ask it again after an undo


class SetAsides:
    """What this session set aside, latest last (for the undo and the summary)."""

    def __init__(self, session: AnswerSession) -> None:
        self.session = session
        self.done: list[SetAside] = []

    def set_aside(self, how: How, *, answered: bool, now: datetime | None = None) -> SetAside:
        """Suspend or bury the card at the session's position (`answered`: its answer is recorded).

        An unanswered card leaves the queue; the session's position then holds the next one.
        """
        session = self.session
        position = session.position
        card = session.queue[position]
        store = session.store
        if how == "suspend":
            previous = store.suspend(card.full_id, now)
        else:  # until the next study day, as the learner's settings start it
            hour = session.scheduler.day_start_hour if session.scheduler is not None else DAY_START_HOUR
            previous = store.bury(card.full_id, now, hour)
        aside = SetAside(card, how, previous, len(session.answered), position, not answered, session.current)
        if not answered:
            del session.queue[position]
            session.current = None
        self.done.append(aside)
        return aside

    def latest(self) -> SetAside | None:
        """The set-aside an undo would take back now (None: the latest action was an answer)."""
        if self.done and self.done[-1].answered == len(self.session.answered):
            return self.done[-1]
        return None

    def undo(self, now: datetime | None = None) -> SetAside | None:
        """Take back the latest set-aside if nothing was answered since; None otherwise.

        A card that had left the queue is put back at its place and is the current card
        again (with the same instance); the flags are restored in one transaction.
        """
        aside = self.latest()
        if aside is None:
            return None
        session = self.session
        session.store.restore_flags(aside.card.full_id, aside.previous, now)
        self.done.pop()
        if aside.removed:
            session.queue.insert(aside.position, aside.card)
            session.position = aside.position
            session.current = aside.instance
        return aside

    def counts(self) -> dict[How, int]:
        return {how: sum(1 for a in self.done if a.how == how) for how in ("suspend", "bury")}


def session_leeches(session: AnswerSession) -> list[Leech]:
    """The leeches this session's answers made (a leech marked by the answer that is still recorded)."""
    marked = {(a.card.full_id, a.reviewed_at) for a in session.answered}
    ids = {card_id for card_id, _ in marked}
    return [leech for leech in session.store.leeches(ids) if (leech.card_id, leech.marked_at) in marked]


def leech_note(session: AnswerSession, answered: Answered) -> str | None:
    """What to tell the learner when `answered` made its card a leech (None when it did not)."""
    flags = session.store.flags(answered.card.full_id)
    if flags is None or not flags.leech or flags.changed_at != answered.reviewed_at:
        return None
    record = session.store.card_record(answered.card.full_id)
    lapses = record.lapses if record is not None else 0
    then = "it is suspended until you take it back" if flags.suspended else "it stays in your reviews"
    return (
        f"{answered.card.title} has lapsed {lapses} times: it is a leech, and {then}. "
        "Rewrite it or learn it another way; the card browser lists leeches (is:leech)."
    )
