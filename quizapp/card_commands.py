"""What `quizapp cards` and `quizapp log export|import` do: cards and their history from the command line.

Apart from `quizapp.commands` so that each module stays small; the conventions are the
same: each command imports what it uses from `engine` inside it, prints to the stream it
is given and returns the exit status.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from quizapp.commands import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    _open_store,
    _print_problems,
    _settings,
    study_paths,
)

if TYPE_CHECKING:
    from engine import CardRow


def local_time(moment: datetime) -> str:
    """A moment as the learner's clock shows it, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def row_flags(row: CardRow) -> str:
    """The flags of a row in a few letters: suspended, buried, leech."""
    return ",".join(
        name
        for name, present in (("suspended", row.suspended), ("buried", row.buried()), ("leech", row.leech))
        if present
    )


def row_json(row: CardRow) -> dict[str, Any]:
    record = row.record
    return {
        "card_id": row.card.full_id,
        "title": row.card.title,
        "kind": row.card.kind,
        "tags": list(row.card.tags),
        "state": row.status,
        "due": record.due.isoformat() if record is not None else None,
        "due_now": row.due_now,
        "stability": row.stability,
        "difficulty": record.card.difficulty if record is not None else None,
        "retrievability": row.retrievability,
        "reps": record.reps if record is not None else 0,
        "lapses": row.lapses,
        "suspended": row.suspended,
        "buried": row.buried(),
        "leech": row.leech,
    }


def cmd_cards(
    query: Sequence[str], decks: Sequence[str], data_dir: Path | None, as_json: bool, out: TextIO
) -> int:
    """The cards matching QUERY (the browser's syntax), one a line, or as JSON."""
    from engine import Catalog, QueryError, StudyScheduler, load_rows, parse_query, search_rows

    try:
        parsed = parse_query(" ".join(query))
    except QueryError as error:
        raise UsageError(error.message) from error
    catalog = Catalog.load(study_paths(decks))
    _print_problems(catalog)
    cards = [card for deck in catalog.decks for card in deck.cards]
    with _open_store(data_dir) as store:
        rows = search_rows(load_rows(StudyScheduler.for_learner(store, _settings()), cards), parsed)
    if as_json:
        print(json.dumps([row_json(row) for row in rows], ensure_ascii=False, indent=2), file=out)
        return EXIT_OK
    width = max((len(row.card.full_id) for row in rows), default=0)
    for row in rows:
        due = "" if row.record is None else ("due now" if row.due_now else local_time(row.record.due))
        stability = f"S {row.stability:.1f}d" if row.stability is not None else ""
        recall = f"R {row.retrievability:.0%}" if row.retrievability is not None else ""
        print(
            f"{row.card.full_id:<{width}}  {row.status:<8}  {due:<16}  {stability:<9}  {recall:<6}"
            f"  lapses {row.lapses:<2}  {row_flags(row):<16}  {row.card.title}".rstrip(),
            file=out,
        )
    print(f"{len(rows)} of {len(cards)} cards", file=sys.stderr)
    return EXIT_OK


def cmd_log(action: str, target: Path, data_dir: Path | None, out: TextIO) -> int:
    """`log export FILE`: every review as a JSON line; `log import FILE`: add the ones this log lacks."""
    if action == "export":
        return _export(target, data_dir, out)
    return _import(target, data_dir, out)


def _export(target: Path, data_dir: Path | None, out: TextIO) -> int:
    with _open_store(data_dir) as store:
        if str(target) == "-":
            count = store.export_reviews(sys.stdout)
            print(f"exported {count} reviews", file=sys.stderr)
            return EXIT_OK
        # Written beside the target and renamed over it: an interrupted export leaves no half file.
        try:
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        except OSError as error:
            raise UsageError(f"cannot write {target}: {error.strerror or error}") from error
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
                count = store.export_reviews(file)
            os.replace(temporary, target)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise UsageError(f"cannot write {target}: {error.strerror or error}") from error
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    for row in store.damaged_rows:
        print(f"quizapp: {row}", file=sys.stderr)
    print(f"exported {count} reviews to {target}", file=out)
    return EXIT_OK


def _import(source: Path, data_dir: Path | None, out: TextIO) -> int:
    from engine import StudyScheduler

    try:
        text = sys.stdin.read() if str(source) == "-" else source.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{source} is not UTF-8 text (byte {error.start})") from error
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror or error}") from error
    with _open_store(data_dir) as store:
        # The learner's scheduler (settings, fitted parameters): the schedules it rebuilds are theirs.
        scheduler = StudyScheduler.for_learner(store, _settings())
        report = store.import_reviews(text.splitlines(), scheduler.next_state, scheduler.leech)
    for bad in report.bad:
        print(f"{source}:{bad.line}: skipped: {bad.problem}", file=sys.stderr)
    print(
        f"imported {report.added} reviews ({report.already} already in the log); "
        f"rebuilt the schedules of {report.cards} cards from the merged log",
        file=out,
    )
    if report.leeches:
        print(f"new leeches: {', '.join(report.leeches)}", file=out)
    if report.bad:
        print(f"{len(report.bad)} lines could not be read and were skipped", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
