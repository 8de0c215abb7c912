"""Keys typed across a change of screen go to the screen that is now shown.

A terminal delivers a burst of keys at once: `a` and the answer typed straight after it
arrive together. Textual routes each key to the widget focused when the key is read,
before the `a` has been acted on (bindings are looked up once a key has bubbled up to the
app), so the answer's keys reach the home screen's deck table, bubble up, and are looked
up as bindings of the study screen that `a` opened meanwhile: letters are lost, or read as
its keys (`s` suspends, `b` buries). So a screen that opens another notes the keys routed to
it (`note_route`, from its `on_key`), and the app, which sees every key last, hands a key
whose screen is no longer shown to the one that is (`hand_over`, from its `on_key`): to the
widget that has focus there, or to the screen.

The same race runs inside one screen: Enter on a verdict shows the next card, but the keys
typed straight after it were routed to the widget focused on the verdict, and reach the
app, unbound, once the new card waits for its answer. So the app gives every key that
reaches it unhandled to a screen that `TakesStrayKeys`, whose answer line takes it when a
card is waiting for its answer and the line has not seen the key itself.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable
from weakref import WeakKeyDictionary

from textual import events
from textual.app import App
from textual.screen import Screen


@runtime_checkable
class TakesStrayKeys(Protocol):
    """A screen with an answer line that takes the keys routed past it (`AnswerInput.take_stray_key`)."""

    async def take_stray_key(self, event: events.Key) -> None: ...


_ROUTED_TO: WeakKeyDictionary[events.Key, Screen[Any]] = WeakKeyDictionary()


def note_route(screen: Screen[Any], event: events.Key) -> None:
    """Remember that `event` was routed to `screen` (the first screen to see it)."""
    _ROUTED_TO.setdefault(event, screen)


def hand_over(app: App[Any], event: events.Key) -> bool:
    """Pass `event` on to the screen now shown if it was routed to another; True if it was."""
    routed = _ROUTED_TO.pop(event, None)
    if routed is None or routed is app.screen:
        return False
    event.prevent_default()  # not a binding of the screen it never reached
    event.stop()
    passed = events.Key(event.key, event.character)  # a fresh event: this one is spent
    passed.set_sender(app)
    (app.focused or app.screen)._forward_event(passed)
    return True
