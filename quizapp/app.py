"""The Textual app: a small shell that owns the decks, the review log and the screens."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from engine import Settings, StoreError, load_settings
from quizapp.screens.handover import TakesStrayKeys, hand_over
from quizapp.screens.home import DeckRow, HomeScreen

if TYPE_CHECKING:
    from engine import Card, Deck, DrillOptions, ReviewStore, StudyScheduler


@runtime_checkable
class RecordsAnswers(Protocol):
    """A screen that may be recording an answer (`busy`); it leaves when that is done."""

    busy: bool
    leaving: str


class QuizApp(App[None]):
    TITLE = "quizapp"
    SUB_TITLE = "the mathematics of deep learning"
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("ctrl+t", "toggle_theme", "Theme"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(
        self,
        deck_paths: list[Path],
        store: ReviewStore,
        *,
        new_limit: int | None = None,
        settings: Settings | None = None,
        scheduler: StudyScheduler | None = None,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        drill: tuple[Sequence[Card], DrillOptions] | None = None,
    ) -> None:
        """`seed` makes the drawn instances reproducible, `clock` the timings and `now` the
        statistics' today (for tests); `drill` opens a drill at start (`quizapp drill`).

        `settings` default to the learner's settings file (`engine.settings`), read here once;
        its problems are shown when the app starts. `new_limit` overrides their
        `new_cards_per_day` (`quizapp study --new-limit`)."""
        super().__init__()
        if settings is None:
            settings, self.settings_problems = load_settings(themes=self.available_themes)
        else:
            self.settings_problems = []
        self.settings = settings
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        self.deck_paths = deck_paths
        self.store = store
        self.new_limit = new_limit if new_limit is not None else settings.new_cards_per_day
        self.seed = seed
        self.clock = clock
        self.now = now
        self._scheduler = scheduler
        self._drill_at_start = drill
        self._warmed = False

    @property
    def scheduler(self) -> StudyScheduler:
        if self._scheduler is None:
            from engine import StudyScheduler

            self._scheduler = StudyScheduler.for_learner(self.store, self.settings)
        return self._scheduler

    def get_default_screen(self) -> Screen[None]:
        return HomeScreen()

    async def on_key(self, event: events.Key) -> None:
        """Keys that missed where they were typed to (`quizapp.screens.handover`): one routed to
        a screen another has since replaced goes to the one shown, and one that reaches the
        app unhandled while a card waits for its answer goes to the answer line."""
        if hand_over(self, event):
            return
        if isinstance(self.screen, TakesStrayKeys):
            await self.screen.take_stray_key(event)

    def on_mount(self) -> None:
        if self.settings_problems:  # file:line: key: message, each; the file's text is never markup
            self.notify(
                "\n".join(self.settings_problems),
                title="Settings",
                severity="warning",
                timeout=20,
                markup=False,
            )
        if self._drill_at_start is not None:
            self.start_drill(*self._drill_at_start)

    def warm_up(self) -> None:
        """Get the checking machinery ready in the background, once the decks are shown.

        `engine.study.warmup.warm_up` imports sympy and torch and runs one tiny check of each
        kind, so that the first real check of a launch is as fast as the later ones.
        Started only after the deck list is drawn, so that these imports (seconds,
        holding the interpreter's lock in long stretches) never compete with it.
        """
        if self._warmed:
            return
        self._warmed = True

        def load() -> None:
            from engine import warm_up

            warm_up()

        self.run_worker(load, thread=True, group="warm-up", exclusive=True, exit_on_error=False)

    async def action_quit(self) -> None:
        """Quit, but never in the middle of recording an answer: it is saved first."""
        screen = self.screen
        if isinstance(screen, RecordsAnswers) and screen.busy:
            screen.leaving = "app"
            self.notify("Saving your answer, then quitting…")
            return
        self.exit()

    def deck_row(self, deck: Deck) -> DeckRow:
        counts = self.scheduler.counts([card.full_id for card in deck.cards], new_limit=self.new_limit)
        return DeckRow(deck.id, deck.title, counts.due, counts.new, counts.total, deck.tags)

    def store_failed(self, error: Exception, what: str) -> None:
        """The review log could not be used for `what`: say so; the app goes on."""
        self.notify(str(error), title=f"Could not {what}", severity="error", timeout=10, markup=False)

    def start_session(self, deck_ids: Iterable[str]) -> None:
        from engine import StudySession
        from quizapp.screens.study import StudyScreen

        home = self.screen
        assert isinstance(home, HomeScreen)
        wanted = set(deck_ids)
        cards = [card for deck in home.decks if deck.id in wanted for card in deck.cards]
        if not cards:
            self.notify("No cards to study here.", severity="warning")
            return
        try:
            session = StudySession.start(
                self.store, self.scheduler, cards, new_limit=self.new_limit, seed=self.seed
            )
            if session.total == 0:
                session.end()
        except StoreError as error:
            self.store_failed(error, "start a session")
            return
        if session.total == 0:
            self.notify(
                "Nothing due, and today's new cards are done. Come back later!", title="All caught up"
            )
            return
        self.push_screen(StudyScreen(session))

    def start_drill(self, cards: Sequence[Card], options: DrillOptions | None = None) -> None:
        """A timed drill over `cards` (checked cards only; see engine.study.drill)."""
        from engine import DrillOptions, DrillSession, kind_of
        from quizapp.screens.drill import DrillScreen

        settings = self.settings
        options = options or DrillOptions(
            count=settings.drill_questions, minutes=settings.drill_time_limit, seed=self.seed
        )
        questions = [card for card in cards if kind_of(card).checked]
        if not questions:
            self.notify("No checked cards to drill here.", severity="warning")
            return
        try:
            scheduler = self.scheduler if options.schedule else None
            session = DrillSession.start(self.store, questions, options, scheduler=scheduler)
        except StoreError as error:
            self.store_failed(error, "start a drill")
            return
        self.push_screen(DrillScreen(session))

    def show_stats(self) -> None:
        from engine import compute_stats
        from quizapp.screens.stats import StatsScreen

        home = self.home_screen()
        cards = [card for deck in home.decks for card in deck.cards] if home is not None else []
        try:
            stats = compute_stats(
                self.store, cards, now=self.now() if self.now is not None else None, settings=self.settings
            )
        except StoreError as error:
            self.store_failed(error, "read the statistics")
            return
        self.push_screen(StatsScreen(stats))

    def show_browser(self, query: str = "") -> None:
        """The card browser over every deck's cards (`b` on the home screen)."""
        from quizapp.screens.browser import BrowserScreen

        home = self.home_screen()
        cards = [card for deck in home.decks for card in deck.cards] if home is not None else []
        self.push_screen(BrowserScreen(cards, query))

    def study_cards(self, cards: Sequence[Card]) -> None:
        """A session over exactly these cards, due or not (the browser's "study now")."""
        from engine import study_now
        from quizapp.screens.study import StudyScreen

        try:
            session = study_now(self.scheduler, cards, seed=self.seed)
        except StoreError as error:
            self.store_failed(error, "start a session")
            return
        self.push_screen(StudyScreen(session))

    def optimize_parameters(self) -> None:
        """Fit FSRS's parameters to the review log in a worker (`quizapp optimize`); say what it found.

        A stored fit applies from the next session: the scheduler is built again then.
        """
        from engine import EngineError, fit_parameters, format_fit, unexpected_error

        def fit() -> None:
            try:
                result = fit_parameters(self.store)
            except Exception as error:  # the log, fsrs's optimiser missing, a bug: said, and the app goes on
                message = str(error) if isinstance(error, EngineError) else unexpected_error(error)
                title = "Could not fit FSRS parameters"
                self.call_from_thread(self.notify, message, title=title, severity="error", markup=False)
                return
            if result.saved is not None:
                self._scheduler = None
            self.call_from_thread(
                self.notify,
                format_fit(result, self.settings.desired_retention, table=False),
                title="FSRS parameters",
                timeout=30,
                markup=False,
            )

        self.notify("Fitting FSRS to your reviews… (a minute for a few thousand)", title="FSRS parameters")
        self.run_worker(fit, thread=True, group="optimize", exclusive=True, exit_on_error=False)

    def home_screen(self) -> HomeScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, HomeScreen)), None)

    def action_help(self) -> None:
        from quizapp.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Keys and how to write answers", self.action_help)
        yield SystemCommand(
            "Toggle light/dark theme",
            "Switch between textual-light and textual-dark",
            self.action_toggle_theme,
        )
        yield SystemCommand(
            "Statistics", "Reviews per day, retention, accuracy, due forecast", self.show_stats
        )
        yield SystemCommand(
            "Fit FSRS to my reviews",
            "quizapp optimize: personal scheduling parameters from your review log",
            self.optimize_parameters,
        )
        if isinstance(screen, HomeScreen):
            yield SystemCommand("Study all decks", "Start a session on every deck", screen.action_study_all)
            yield SystemCommand(
                "Drill",
                f"A timed drill of {self.settings.drill_questions} mixed questions from the selected deck",
                screen.action_drill,
            )
            yield SystemCommand("Reload decks", "Read the deck files again", screen.action_reload)
            yield SystemCommand(
                "Browse cards", "Search the cards: due, suspended, leeches; their history", self.show_browser
            )
