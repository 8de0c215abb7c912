"""Read a markdown deck into `Deck` and `Card` records, collecting every problem found.

The markdown is parsed with markdown-it-py, so a `## ` inside a code block is not taken
for a card; each ```` ```quiz ```` block is YAML, parsed once with PyYAML's safe loader
(libyaml's C parser when PyYAML has it): the composed node tree gives the line of each
key, and the same tree is constructed into plain data. Nothing in a deck is ever
executed. A problem in one card is recorded against its line and the card is skipped;
the rest of the deck still loads. The deck's structure (front matter, `## Title {#id}`
sections, their back) is read here; the file itself by `engine.decks.files`, each quiz
block's YAML by `engine.decks.quiz_yaml` and its schema by `engine.decks.quiz_block`.

Reading is the slow part of showing the deck list, and the home screen reads the decks
again each time it is shown, so results are kept in memory keyed by the file's path and
a hash of its bytes: an unchanged deck is read once per process. A `DeckStore` (see
`engine.decks.catalog.DiskCache`) can keep them between processes too; for that, PyYAML and
markdown-it are imported only when a deck is actually parsed.

A deck is untrusted input, and one bad deck must never hide the others: only regular
files are read, at most `MAX_DECK_BYTES` of them (a FIFO would block forever, `/dev/zero`
never ends), the YAML subset decks use has no anchors or aliases (a few lines of them
expand into gigabytes) and bounded nesting and scalar sizes, and anything unexpected while
reading a card or a deck becomes a `file:line` problem of that card or deck. A result
that came from such a crash is never cached: it may say more about this process (its
memory, a bug) than about the file.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from engine.decks.cards import (
    Card,
    Deck,
)
from engine.decks.files import DeckFileError, decode_deck, read_deck_bytes
from engine.decks.hygiene import section_problems, yaml_text_problem
from engine.decks.problems import Problem, Severity
from engine.decks.quiz_block import CardInvalid, QuizReader, suggest
from engine.decks.quiz_yaml import parse_yaml, yaml_reason

if TYPE_CHECKING:
    import yaml
    from markdown_it import MarkdownIt

# Part of the key of decks kept between processes: bump it whenever a change to this
# module (or to the records in engine.decks.cards) changes what the same file reads into.
LOADER_VERSION: Final = "4"
_FRONT_MATTER_KEYS: Final = frozenset({"title", "id", "tags", "description", "order"})
MAX_ORDER: Final = 1000
_MAX_CRASH_TEXT: Final = 200  # characters of an unexpected error's message kept in a problem
_CACHE_SIZE: Final = 256  # decks kept in memory; far more than anyone studies at once
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HEADING_ID = re.compile(r"\s*\{#([^}\s]*)\}\s*$")
_BACK_HEADINGS: Final = frozenset({"explanation", "answer"})


def unexpected_error(error: BaseException) -> str:
    """An exception nobody expected, as a line of a problem: its type and the start of its message.

    The last-resort boundaries (a card, a deck, a validated card) name the error instead of
    printing a traceback; the message is cut short, since an error about a huge value may
    carry all of it.
    """
    text = " ".join(str(error).split())
    if len(text) > _MAX_CRASH_TEXT:
        text = text[: _MAX_CRASH_TEXT - 1] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@dataclass
class LoadResult:
    """A deck (None when it could not be read at all) and the problems found in it."""

    deck: Deck | None
    problems: list[Problem] = field(default_factory=list)
    crashed: bool = False  # something unexpected broke while reading: do not cache this


def slugify(title: str) -> str:
    """A card id from a heading: lower case ASCII words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)[:60].strip("-") or "card"


class DeckStore(Protocol):
    """Somewhere that keeps read decks between processes, by path and hash of the bytes.

    An optimisation only: `get` answers None when it has nothing usable, and neither
    method raises. Stores that are equal (and hash alike) are taken to hold the same
    entries: a deck written to one is not written again in this process.
    """

    def get(self, path: Path, digest: str) -> LoadResult | None: ...

    def put(self, path: Path, digest: str, result: LoadResult) -> None: ...


@dataclass
class _Entry:
    result: LoadResult
    stores: set[DeckStore] = field(default_factory=set)  # known to hold this result


def load_deck(path: Path, store: DeckStore | None = None) -> LoadResult:
    """Read one deck file; an unchanged file read before in this process costs only a hash.

    What a deck reads into depends only on its path (cards and problems carry it) and
    its bytes, so those are the cache key (a `store`, shared between processes, adds
    the loader's version). A deck this process has read is also written to `store` if
    that does not hold it yet. The records are immutable; each caller gets its own
    list of problems. Never raises: a file that cannot be read, or a crash while reading
    it, is a problem of this deck only (and a crash is not cached).
    """
    try:
        data = read_deck_bytes(path)
    except DeckFileError as error:
        return LoadResult(None, [Problem(path, 1, "error", error.message, "deck-unreadable")])
    digest = hashlib.sha256(data).hexdigest()
    key = (str(path), digest)
    with _cache_lock:
        entry = _cache.get(key)
        if entry is not None:
            _cache.move_to_end(key)
    if entry is None:
        stored = store.get(path, digest) if store is not None else None
        if stored is not None:
            entry = _Entry(stored)
        else:
            result = _read_guarded(path, data)
            if result.crashed:
                return result
            entry = _Entry(result)
        if stored is not None and store is not None:
            entry.stores.add(store)
        with _cache_lock:
            _cache[key] = entry
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    if store is not None and store not in entry.stores:
        store.put(path, digest, entry.result)
        with _cache_lock:
            entry.stores.add(store)
    return LoadResult(entry.result.deck, list(entry.result.problems))


def clear_cache() -> None:
    """Forget every deck read in this process (the next `load_deck` of a file reads it again)."""
    with _cache_lock:
        _cache.clear()


_cache: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
_cache_lock = threading.Lock()  # the app reads decks in a worker thread


def _read_guarded(path: Path, data: bytes) -> LoadResult:
    """`_read` behind the deck's last-resort boundary.

    An exception from reading the deck as a whole becomes its only problem, and one from
    a card (caught in `DeckReader.read`) leaves that card out; either way the other
    decks load, and the result is marked `crashed` so that it is not cached.
    """
    try:
        return _read(path, data)
    except Exception as error:
        problem = Problem(
            path, 1, "error", f"deck could not be read: {unexpected_error(error)}", "internal-error"
        )
        return LoadResult(None, [problem], crashed=True)


def _read(path: Path, data: bytes) -> LoadResult:
    try:
        text = decode_deck(data)
    except DeckFileError as error:
        return LoadResult(None, [Problem(path, 1, "error", error.message, "deck-unreadable")])
    # Universal newlines, as reading the file in text mode gives.
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    return DeckReader(path, source).read()


def markdown_parser() -> MarkdownIt:
    """A CommonMark parser for block structure only.

    The loader reads headings, fences and front matter, and takes the text between them
    from the source lines, so inline parsing (emphasis, links, ...; two thirds of the
    parse time) is switched off: block tokens keep their `content` and `map` without it.
    """
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    return MarkdownIt("commonmark").use(front_matter_plugin).disable("inline")


def load_decks(paths: list[Path], store: DeckStore | None = None) -> tuple[list[Deck], list[Problem]]:
    """Read several decks; two decks with one id is an error on the second."""
    decks: list[Deck] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path in paths:
        result = load_deck(path, store)
        problems.extend(result.problems)
        if result.deck is None:
            continue
        if result.deck.id in seen:
            problems.append(
                Problem(
                    path,
                    1,
                    "error",
                    f"deck id {result.deck.id!r} is already used by {seen[result.deck.id]}",
                    "duplicate-deck-id",
                )
            )
            continue
        seen[result.deck.id] = path
        decks.append(result.deck)
    decks.sort(key=lambda deck: deck.order)  # stable: equal orders keep the files' order
    return decks, problems


@dataclass
class _Section:
    title: str
    card_id: str | None
    line: int  # 1-based line of the heading
    start: int  # 0-based first line after the heading
    end: int  # 0-based line after the section
    quiz: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, yaml)
    back_heading: int | None = None  # 0-based line of ### Explanation / ### Answer


class DeckReader:
    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.lines = source.split("\n")  # markdown-it's lines (splitlines() splits at \f, \v too)
        self.source = source
        self.problems: list[Problem] = []
        self.crashed = False  # a card was left out by an unexpected error (see `read`)
        self.card_id: str | None = None  # the full id of the card being read, for its problems

    def problem(
        self, line: int, message: str, severity: Severity = "error", *, code: str, part: str | None = None
    ) -> None:
        """Record a problem (of the card being read, if any) under its `code` (`problems.CODES`)."""
        self.problems.append(Problem(self.path, line, severity, message, code, self.card_id, part))

    def read(self) -> LoadResult:
        tokens = markdown_parser().parse(self.source)
        meta = self.front_matter(tokens)
        deck_id = str(meta.get("id") or self.path.stem)
        if not _ID.match(deck_id):
            self.problem(
                1, f"deck id {deck_id!r} must be letters, digits, '-', '_' or '.'", code="invalid-deck-id"
            )
            return LoadResult(None, self.problems)
        deck_tags = self.tags(meta.get("tags"), 1)
        sections = self.sections(tokens)
        cards: list[Card] = []
        seen_ids: dict[str, int] = {}
        for section in sections:
            try:
                card = self.card(deck_id, section, deck_tags)
            except Exception as error:  # the card's last-resort boundary: the other cards still load
                self.problem(
                    section.line, f"card could not be read: {unexpected_error(error)}", code="internal-error"
                )
                self.crashed = True
                continue
            finally:
                self.card_id = None
            if card is None:
                continue
            if card.card_id in seen_ids:
                self.problems.append(
                    Problem(
                        self.path,
                        section.line,
                        "error",
                        f"card id {card.card_id!r} is already used on line {seen_ids[card.card_id]}",
                        "duplicate-card-id",
                        card.full_id,
                    )
                )
                continue
            seen_ids[card.card_id] = section.line
            cards.append(card)
        if not sections:
            self.problem(1, "no cards: a card starts with a '## ' heading", "warning", code="no-cards")
        title = str(meta.get("title") or deck_id)
        deck = Deck(deck_id, title, self.path, deck_tags, tuple(cards), self.order(meta.get("order")))
        return LoadResult(deck, self.problems, crashed=self.crashed)

    # -- structure -------------------------------------------------------------------------

    def front_matter(self, tokens: list[Any]) -> dict[str, Any]:
        import yaml

        if not tokens or tokens[0].type != "front_matter":
            return {}
        try:
            _, meta = parse_yaml(tokens[0].content)
        except yaml.YAMLError as error:
            self.problem(
                self.yaml_line(error, 2),
                f"front matter is not valid YAML: {yaml_reason(error)}",
                code="yaml-error",
            )
            return {}
        if meta is None:
            return {}
        if not isinstance(meta, dict):
            self.problem(
                2,
                "front matter must be a mapping (title: ..., id: ..., tags: [...])",
                code="invalid-front-matter",
            )
            return {}
        for key in meta:
            if key not in _FRONT_MATTER_KEYS:
                self.problem(
                    2,
                    f"unknown front matter key {key!r}{suggest(str(key), _FRONT_MATTER_KEYS)}",
                    code="unknown-key",
                )
        for key in ("title", "description"):
            message = yaml_text_problem(str(meta.get(key) or ""), f"the deck's {key}")
            if message is not None:
                self.problem(2, message, code="control-character")
        return meta

    def order(self, raw: object) -> int:
        """`order:` where the deck is listed among others (lower first; default 0, then by file name)."""
        if raw is None:
            return 0
        if isinstance(raw, bool) or not isinstance(raw, int) or not -MAX_ORDER <= raw <= MAX_ORDER:
            self.problem(
                2,
                f"order must be a whole number from -{MAX_ORDER} to {MAX_ORDER} (lower is listed first), not {raw!r}",
                code="invalid-front-matter",
            )
            return 0
        return raw

    def sections(self, tokens: list[Any]) -> list[_Section]:
        sections: list[_Section] = []
        for index, token in enumerate(tokens):
            if token.type == "heading_open" and token.tag == "h2":
                heading = tokens[index + 1].content
                match = _HEADING_ID.search(heading)
                card_id = match.group(1) if match else None
                title = heading[: match.start()].strip() if match else heading.strip()
                if sections:
                    sections[-1].end = token.map[0]
                sections.append(_Section(title, card_id, token.map[0] + 1, token.map[1], len(self.lines)))
            elif not sections:
                continue
            elif token.type == "fence" and token.info.strip() == "quiz":
                sections[-1].quiz.append((token.map[0], token.map[1], token.content))
            elif (
                token.type == "heading_open"
                and token.tag == "h3"
                and sections[-1].back_heading is None
                and tokens[index + 1].content.strip().lower() in _BACK_HEADINGS
            ):
                sections[-1].back_heading = token.map[0]
        return sections

    def text_between(self, start: int, end: int, skip: list[tuple[int, int, str]]) -> str:
        kept = [
            line
            for number, line in enumerate(self.lines[start:end], start)
            if not any(a <= number < b for a, b, _ in skip)
        ]
        return "\n".join(kept).strip()

    # -- cards -----------------------------------------------------------------------------

    def card(self, deck_id: str, section: _Section, deck_tags: tuple[str, ...]) -> Card | None:
        line = section.line
        card_id = slugify(section.title) if section.card_id is None else section.card_id
        self.card_id = f"{deck_id}/{card_id}"
        if section.card_id is None:
            self.problem(
                line,
                f"card has no id: add {{#{card_id}}} to the heading (quizapp validate --fix-ids does it),"
                " or its progress is lost when the title changes",
                "warning",
                code="missing-card-id",
            )
        elif not _ID.match(section.card_id):
            self.problem(
                line,
                f"card id {section.card_id!r} must be letters, digits, '-', '_' or '.'",
                code="invalid-card-id",
            )
            return None
        if len(section.quiz) > 1:
            self.problem(
                section.quiz[1][0] + 1, "a card has at most one quiz block", code="multiple-quiz-blocks"
            )
            return None
        self.hidden_characters(section)
        back_start = section.back_heading if section.back_heading is not None else section.end
        prompt = self.text_between(section.start, back_start, section.quiz)
        explanation = self.text_between(back_start + 1, section.end, []) if section.back_heading else ""
        base = {
            "deck_id": deck_id,
            "card_id": card_id,
            "title": section.title,
            "prompt": prompt,
            "explanation": explanation,
            "path": self.path,
            "line": line,
            "has_explicit_id": section.card_id is not None,
        }
        if not section.quiz:
            if not explanation:
                self.problem(
                    line,
                    "flash card has no back: add a '### Answer' section",
                    "warning",
                    code="flash-without-back",
                )
            return Card(kind="flash", tags=deck_tags, **base)  # type: ignore[arg-type]
        start, _, content = section.quiz[0]
        try:
            return QuizReader(self, start + 2, content).card(base, deck_tags)
        except CardInvalid:
            return None

    def hidden_characters(self, section: _Section) -> None:
        """A control character in the card's title, prompt or explanation is an error at its own line."""
        back = section.back_heading if section.back_heading is not None else section.end
        for number, message in section_problems(
            self.lines, section.line - 1, section.start, back, section.end
        ):
            self.problem(number + 1, message, code="control-character")

    def tags(self, raw: object, line: int) -> tuple[str, ...]:
        if raw is None:
            return ()
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(t, str | int) for t in raw):
            self.problem(line, "tags must be a list of words, like [optimizers, adam]", code="invalid-tags")
            return ()
        return tuple(str(t) for t in raw)

    def yaml_line(self, error: yaml.YAMLError, first_line: int) -> int:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        return first_line + (mark.line if mark is not None else 0)
