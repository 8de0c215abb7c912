"""The study screen's keys for setting a card aside (suspend, bury), their undo, and the leech notice.

Apart from `quizapp.screens.study` to keep that module small; the state they change is
the session's (`engine.study.aside.SetAsides`), and the screen shows the outcome.

- `s` / Ctrl+S suspends the card in front of the learner (until it is unsuspended in the
  browser), `b` / Ctrl+L buries it until the next study day. The letters work once the
  answer line is out of focus (after the verdict, on a flash card); the Ctrl keys also
  while typing, since letters typed in the line are the answer's.
- Before its answer, the card leaves the session at once; after its verdict, the answer
  stays recorded and the session goes on to the next card.
- Undo takes back the latest set-aside while nothing was answered since, then answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from engine import Answered, SetAsides, StoreError, leech_note

if TYPE_CHECKING:
    from quizapp.screens.study import StudyScreen


class AsideKeys:
    """Suspend, bury and their undo on a study screen; the leech notice after an answer."""

    def __init__(self, screen: StudyScreen) -> None:
        self.screen = screen
        self.asides = SetAsides(screen.session)

    def set_aside(self, how: Literal["suspend", "bury"]) -> None:
        screen = self.screen
        if screen.state == "checking" or screen.session.finished:
            return
        answered = screen.state == "feedback"
        try:
            aside = self.asides.set_aside(how, answered=answered)
        except StoreError as error:
            screen.app.notify(
                error.message, title="The card was not set aside", severity="error", markup=False
            )
            return
        done = "Suspended" if how == "suspend" else "Buried until tomorrow"
        screen.app.notify(f"{done}: {aside.card.title}. Ctrl+Z takes it back.", markup=False)
        if answered:
            screen.session.advance()
        screen.show_next_card()

    def undo(self) -> bool:
        """Take back the latest set-aside, if it is the latest thing done; False when it is not."""
        if self.asides.latest() is None:
            return False
        screen = self.screen
        try:
            aside = self.asides.undo()
        except StoreError as error:
            screen.app.notify(error.message, title="Nothing was undone", severity="warning", markup=False)
            return True
        if aside is None:
            return False
        if aside.removed and aside.instance is not None:  # the card it left is asked again
            screen.show_card(aside.instance)
        elif aside.removed:
            screen.show_next_card()
        screen.app.notify(f"{aside.card.title} is back in play.", markup=False)
        return True

    def tell_if_leech(self, answered: Answered) -> None:
        """Say so when this answer's lapse made its card a leech (suspended, unless the rule only tags)."""
        try:
            note = leech_note(self.screen.session, answered)
        except StoreError:
            return  # the answer is recorded; only the notice is lost
        if note:
            self.screen.app.notify(note, title="A leech", severity="warning", timeout=12, markup=False)
