"""quizapp's engine: decks, checking, studying and the review log, without a user interface.

This module is the engine's public API: what the Textual app and the command line use,
and what a test of the layering checks they use alone (`tests/test_architecture.py`).
Each name is imported on first use, so `import engine` costs nothing and the deck list
never waits for numpy, sympy or torch. docs/engine-api.md lists the names by concern;
docs/architecture.md says what each subpackage owns.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.authoring.validation import validate as validate
    from engine.checking.verdict import Verdict as Verdict
    from engine.decks.blanks import blanked as blanked
    from engine.decks.blanks import fill_marks as fill_marks
    from engine.decks.cards import Card as Card
    from engine.decks.cards import Deck as Deck
    from engine.decks.cards import Step as Step
    from engine.decks.catalog import Catalog as Catalog
    from engine.decks.catalog import deck_files as deck_files
    from engine.decks.catalog import default_cache_dir as default_cache_dir
    from engine.decks.files import DeckFileError as DeckFileError
    from engine.decks.ids import add_missing_ids as add_missing_ids
    from engine.decks.instance import Instance as Instance
    from engine.decks.instance import draw_instance as draw_instance
    from engine.decks.kinds import CardUsageError as CardUsageError
    from engine.decks.kinds import check_answer as check_answer
    from engine.decks.kinds import expected_answer_text as expected_answer_text
    from engine.decks.kinds import kind_of as kind_of
    from engine.decks.kinds import read_as as read_as
    from engine.decks.kinds.choice import option_lines as option_lines
    from engine.decks.kinds.steps import read_parts as read_parts
    from engine.decks.kinds.steps import split_step_answers as split_step_answers
    from engine.decks.loader import unexpected_error as unexpected_error
    from engine.decks.plot import PlotData as PlotData
    from engine.decks.plot import plot_data as plot_data
    from engine.decks.problems import Problem as Problem
    from engine.errors import EngineError as EngineError
    from engine.export.anki import export_anki as export_anki
    from engine.references import ReferenceInputError as ReferenceInputError
    from engine.references import UnknownReference as UnknownReference
    from engine.references import describe as describe
    from engine.references import get_reference as get_reference
    from engine.references import render_reference_docs as render_reference_docs
    from engine.references import resolve_device as resolve_device
    from engine.render import render_math as render_math
    from engine.render import render_math_text as render_math_text
    from engine.render.numbers import format_number as format_number
    from engine.settings import Settings as Settings
    from engine.settings import load_settings as load_settings
    from engine.settings import settings_path as settings_path
    from engine.storage.datadir import data_dir as data_dir
    from engine.storage.datadir import database_path as database_path
    from engine.storage.flags import CardFlags as CardFlags
    from engine.storage.flags import Leech as Leech
    from engine.storage.flags import LeechRule as LeechRule
    from engine.storage.log import ReviewStore as ReviewStore
    from engine.storage.records import ReviewRow as ReviewRow
    from engine.storage.records import StoreError as StoreError
    from engine.study.aside import SetAsides as SetAsides
    from engine.study.aside import leech_note as leech_note
    from engine.study.aside import session_leeches as session_leeches
    from engine.study.browse import CardRow as CardRow
    from engine.study.browse import QueryError as QueryError
    from engine.study.browse import load_rows as load_rows
    from engine.study.browse import parse_query as parse_query
    from engine.study.browse import search_rows as search_rows
    from engine.study.browse import study_now as study_now
    from engine.study.drill import DrillOptions as DrillOptions
    from engine.study.drill import DrillReport as DrillReport
    from engine.study.drill import DrillSession as DrillSession
    from engine.study.drill import drill_cards as drill_cards
    from engine.study.optimizer import fit_parameters as fit_parameters
    from engine.study.optimizer import format_fit as format_fit
    from engine.study.scheduling import DEFAULT_NEW_LIMIT as DEFAULT_NEW_LIMIT
    from engine.study.scheduling import StudyScheduler as StudyScheduler
    from engine.study.session import Answered as Answered
    from engine.study.session import StudySession as StudySession
    from engine.study.stats import Stats as Stats
    from engine.study.stats import compute_stats as compute_stats
    from engine.study.stats import format_stats as format_stats
    from engine.study.stats import mistake_label as mistake_label
    from engine.study.stats import parameters_source as parameters_source
    from engine.study.warmup import warm_up as warm_up

_EXPORTS: dict[str, str] = {
    # Decks: reading them, the card model, instances, the author's checks
    "Card": "engine.decks.cards",
    "Deck": "engine.decks.cards",
    "Step": "engine.decks.cards",
    "Catalog": "engine.decks.catalog",
    "deck_files": "engine.decks.catalog",
    "default_cache_dir": "engine.decks.catalog",
    "Instance": "engine.decks.instance",
    "draw_instance": "engine.decks.instance",
    "format_number": "engine.render.numbers",
    "DeckFileError": "engine.decks.files",
    "add_missing_ids": "engine.decks.ids",
    "unexpected_error": "engine.decks.loader",
    "PlotData": "engine.decks.plot",
    "plot_data": "engine.decks.plot",
    "Problem": "engine.decks.problems",
    "validate": "engine.authoring.validation",
    # Checking answers
    "CardUsageError": "engine.decks.kinds",
    "check_answer": "engine.decks.kinds",
    "kind_of": "engine.decks.kinds",
    "expected_answer_text": "engine.decks.kinds",
    "option_lines": "engine.decks.kinds.choice",
    "read_as": "engine.decks.kinds",
    "read_parts": "engine.decks.kinds.steps",
    "fill_marks": "engine.decks.blanks",
    "blanked": "engine.decks.blanks",
    "split_step_answers": "engine.decks.kinds.steps",
    "Verdict": "engine.checking.verdict",
    "warm_up": "engine.study.warmup",
    # Studying: the answer lifecycle, scheduling, drills, statistics
    "DrillOptions": "engine.study.drill",
    "DrillReport": "engine.study.drill",
    "DrillSession": "engine.study.drill",
    "drill_cards": "engine.study.drill",
    "DEFAULT_NEW_LIMIT": "engine.study.scheduling",
    "StudyScheduler": "engine.study.scheduling",
    "Answered": "engine.study.session",
    "StudySession": "engine.study.session",
    "Stats": "engine.study.stats",
    "compute_stats": "engine.study.stats",
    "format_stats": "engine.study.stats",
    "mistake_label": "engine.study.stats",
    # Setting cards aside, leeches, and the card browser
    "CardFlags": "engine.storage.flags",
    "Leech": "engine.storage.flags",
    "LeechRule": "engine.storage.flags",
    "SetAsides": "engine.study.aside",
    "leech_note": "engine.study.aside",
    "session_leeches": "engine.study.aside",
    "CardRow": "engine.study.browse",
    "QueryError": "engine.study.browse",
    "load_rows": "engine.study.browse",
    "parse_query": "engine.study.browse",
    "search_rows": "engine.study.browse",
    "study_now": "engine.study.browse",
    # Settings, and the learner's own FSRS parameters
    "Settings": "engine.settings",
    "load_settings": "engine.settings",
    "settings_path": "engine.settings",
    "fit_parameters": "engine.study.optimizer",
    "format_fit": "engine.study.optimizer",
    "parameters_source": "engine.study.stats",
    # The review log
    "data_dir": "engine.storage.datadir",
    "database_path": "engine.storage.datadir",
    "ReviewStore": "engine.storage.log",
    "ReviewRow": "engine.storage.records",
    "StoreError": "engine.storage.records",
    # torch references
    "ReferenceInputError": "engine.references",
    "UnknownReference": "engine.references",
    "describe": "engine.references",
    "get_reference": "engine.references",
    "render_reference_docs": "engine.references",
    "resolve_device": "engine.references",
    # Export, rendering, errors
    "EngineError": "engine.errors",
    "export_anki": "engine.export.anki",
    "render_math": "engine.render",
    "render_math_text": "engine.render",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value
