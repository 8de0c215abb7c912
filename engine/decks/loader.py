"""Read a markdown deck into `Deck` and `Card` records, collecting every problem found.

The markdown is parsed with markdown-it-py, so a `## ` inside a code block is not taken
for a card; each ```` ```quiz ```` block is YAML, parsed once with PyYAML's safe loader
(libyaml's C parser when PyYAML has it): the composed node tree gives the line of each
key, and the same tree is constructed into plain data. Nothing in a deck is ever
executed. A problem in one card is recorded against its line and the card is skipped;
the rest of the deck still loads.

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

import contextlib
import difflib
import functools
import hashlib
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from engine.decks.cards import (
    CARD_KINDS,
    Card,
    CardKind,
    Deck,
    DeclaredMistake,
    Formula,
    Given,
    PlotSpec,
    ReferenceUse,
    Step,
    Tolerance,
)
from engine.decks.domains import Domain, parse_domain
from engine.decks.problems import Problem, Severity
from engine.errors import EngineError, ExpressionError
from engine.expr.tokenizer import tokenize

if TYPE_CHECKING:
    import yaml
    from markdown_it import MarkdownIt

MAX_DECK_BYTES: Final = 2_000_000
# Bounds of the YAML in a deck (docs/deck-format.md, "Limits"). Decks nest five levels
# deep and their longest value is a few hundred characters; numbers are bounded well
# below Python's 4,300-digit limit on converting integers from text.
MAX_YAML_DEPTH: Final = 20
MAX_YAML_SCALAR_CHARS: Final = 10_000
MAX_YAML_NUMBER_CHARS: Final = 100
MAX_YAML_NODES: Final = 10_000  # values in one block; a card has a few dozen
# Part of the key of decks kept between processes: bump it whenever a change to this
# module (or to the records in engine.decks.cards) changes what the same file reads into.
LOADER_VERSION: Final = "3"
_CACHE_SIZE: Final = 256  # decks kept in memory; far more than anyone studies at once
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HEADING_ID = re.compile(r"\s*\{#([^}\s]*)\}\s*$")
_BACK_HEADINGS: Final = frozenset({"explanation", "answer"})

_COMMON_KEYS: Final = frozenset({"kind", "tags", "plot"})
_KIND_KEYS: Final[dict[str, frozenset[str]]] = {
    "flash": frozenset(),
    "symbolic": frozenset({"variables", "answer", "mistakes", "reference"}),
    "numeric": frozenset({"given", "answer", "reference", "tolerance", "mistakes"}),
    "choice": frozenset({"given", "options", "answer", "reference"}),
    "steps": frozenset({"given", "steps", "reference"}),
}
_ALL_KEYS: Final = _COMMON_KEYS.union(*_KIND_KEYS.values())
_STEP_KEYS: Final = frozenset({"name", "prompt", "answer", "options", "tolerance", "mistakes", "output"})
_REFERENCE_KEYS: Final = frozenset({"name", "output", "inputs", "function", "variables"})
_PLOT_KEYS: Final = frozenset({"function", "variable", "range", "derivative", "mark", "label"})
_FRONT_MATTER_KEYS: Final = frozenset({"title", "id", "tags", "description"})
_MAX_CRASH_TEXT: Final = 200  # characters of an unexpected error's message kept in a problem
_MAX_RTOL: Final = 1.0
_VARIABLES_SHAPE: Final = "variables must be a list of names or a mapping of name: domain"


class DeckFileError(EngineError):
    """A deck file that cannot be read as text: missing, not a regular file, too large, not UTF-8."""


def read_deck_bytes(path: Path) -> bytes:
    """The bytes of the deck file at `path`; raises DeckFileError.

    Only a regular file is read (a FIFO would block until someone writes to it, a device
    such as `/dev/zero` never ends), and at most `MAX_DECK_BYTES` + 1 bytes of it: the size
    the file system reports is not trusted (it is 0 for a device, and a file may grow).
    The file is opened without blocking and checked through the open descriptor, so a
    FIFO swapped in after a check is refused too.
    """
    import os
    import stat

    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise DeckFileError(f"cannot read: {error.strerror or error}") from error
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISREG(mode):
            with os.fdopen(descriptor, "rb", closefd=False) as file:
                data = file.read(MAX_DECK_BYTES + 1)
    except OSError as error:
        raise DeckFileError(f"cannot read: {error.strerror or error}") from error
    finally:
        os.close(descriptor)
    if not stat.S_ISREG(mode):
        raise DeckFileError(f"cannot read: {_file_kind(mode)}, not a regular file")
    if len(data) > MAX_DECK_BYTES:
        raise DeckFileError(f"file is too large to be a deck (over {MAX_DECK_BYTES:,} bytes)")
    return data


def _file_kind(mode: int) -> str:
    import stat

    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def decode_deck(data: bytes) -> str:
    """A deck's bytes as text; raises DeckFileError when they are not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DeckFileError(f"not UTF-8 text: {error.reason} at byte {error.start}") from error


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


def suggest(word: str, choices: frozenset[str] | list[str]) -> str:
    """' (did you mean 'answer'?)' when a close match exists."""
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


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
        return LoadResult(None, [Problem(path, 1, "error", error.message)])
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
    a card (caught in `_DeckReader.read`) leaves that card out; either way the other
    decks load, and the result is marked `crashed` so that it is not cached.
    """
    try:
        return _read(path, data)
    except Exception as error:
        problem = Problem(path, 1, "error", f"deck could not be read: {unexpected_error(error)}")
        return LoadResult(None, [problem], crashed=True)


def _read(path: Path, data: bytes) -> LoadResult:
    try:
        text = decode_deck(data)
    except DeckFileError as error:
        return LoadResult(None, [Problem(path, 1, "error", error.message)])
    # Universal newlines, as reading the file in text mode gives.
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    return _DeckReader(path, source).read()


def parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse YAML once: its node tree (for lines; None when empty) and its data.

    The data is what `yaml.safe_load` gives, within the bounds of a deck (see
    `_deck_loaders`): anchors, aliases, nesting too deep and values too long are a
    `yaml.YAMLError` with the line they are on. On an error the text is parsed again
    with the pure-Python parser and its error raised, so that messages and lines are
    the same with or without libyaml (errors are rare; their cost does not matter).
    """
    import yaml

    fast = _fast_yaml_loader()
    if fast is yaml.SafeLoader:
        return parse_yaml_pure(text)
    try:
        return _parse_with(fast, text)
    except yaml.YAMLError:
        return parse_yaml_pure(text)  # raises the error it always did


def parse_yaml_pure(text: str) -> tuple[yaml.Node | None, Any]:
    """`parse_yaml` with PyYAML's pure-Python parser (for error messages, and for comparing)."""
    import yaml

    return _parse_with(yaml.SafeLoader, text)


@functools.cache
def _fast_yaml_loader() -> type[yaml.SafeLoader] | type[yaml.CSafeLoader]:
    """libyaml's parser when PyYAML has it (ten times faster), else the pure-Python one.

    Both are safe loaders: YAML's standard tags only, never arbitrary Python objects.
    """
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_with(
    loader_class: type[yaml.SafeLoader] | type[yaml.CSafeLoader], text: str
) -> tuple[yaml.Node | None, Any]:
    loader = _deck_loaders()[loader_class](text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


@functools.cache
def _deck_loaders() -> dict[type[Any], type[yaml.SafeLoader]]:
    """PyYAML's safe loaders (libyaml's too, when present), each with the bounds of a deck's YAML.

    Nodes are composed by PyYAML's Python composer, from either parser's events, so
    that every bound is checked before the data is built, with the same message and
    line whichever parser runs:

    - no anchors or aliases: decks do not need them, and a few lines of aliases to
      aliases (a "billion laughs") expand into gigabytes once anything walks the data;
    - at most `MAX_YAML_DEPTH` levels of nesting, counted as the events arrive, so a
      document nested 20,000 deep is refused at level 21 without recursing further;
    - at most `MAX_YAML_NODES` values (keys, items, collections) in a block, so that a
      2 MB list is refused after a moment, not composed for seconds;
    - values of at most `MAX_YAML_SCALAR_CHARS` characters, numbers of at most
      `MAX_YAML_NUMBER_CHARS` (a 5,000-digit integer would otherwise reach `int()`, which
      refuses more than 4,300 digits, and a 400-digit float would silently be infinite).
    """
    import yaml
    from yaml.composer import Composer, ComposerError

    numbers = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})

    class DeckComposer(Composer):
        depth = 0
        nodes = 0

        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            event = self.peek_event()  # type: ignore[attr-defined]
            if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
                raise ComposerError(None, None, "YAML anchors and aliases are not allowed", event.start_mark)
            if self.depth >= MAX_YAML_DEPTH:
                raise ComposerError(
                    None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", event.start_mark
                )
            if self.nodes >= MAX_YAML_NODES:
                raise ComposerError(None, None, f"more than {MAX_YAML_NODES:,} values", event.start_mark)
            self.nodes += 1
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def compose_scalar_node(self, anchor: Any) -> yaml.ScalarNode:
            node = super().compose_scalar_node(anchor)
            if len(node.value) > MAX_YAML_SCALAR_CHARS:
                raise ComposerError(
                    None, None, f"a value longer than {MAX_YAML_SCALAR_CHARS:,} characters", node.start_mark
                )
            if node.tag in numbers and len(node.value) > MAX_YAML_NUMBER_CHARS:
                raise ComposerError(
                    None, None, f"a number longer than {MAX_YAML_NUMBER_CHARS} characters", node.start_mark
                )
            return node

    # The composer comes first, so its methods (not libyaml's own composer) compose; the
    # loader's own __init__ sets up its parser, constructor and resolver.
    bases = [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])]
    return {
        base: type(f"Deck{base.__name__}", (DeckComposer, base), {"__init__": base.__init__})
        for base in bases
    }


def _markdown() -> MarkdownIt:
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
                    path, 1, "error", f"deck id {result.deck.id!r} is already used by {seen[result.deck.id]}"
                )
            )
            continue
        seen[result.deck.id] = path
        decks.append(result.deck)
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


class _DeckReader:
    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.lines = source.splitlines()
        self.source = source
        self.problems: list[Problem] = []
        self.crashed = False  # a card was left out by an unexpected error (see `read`)

    def problem(self, line: int, message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(self.path, line, severity, message))

    def read(self) -> LoadResult:
        tokens = _markdown().parse(self.source)
        meta = self.front_matter(tokens)
        deck_id = str(meta.get("id") or self.path.stem)
        if not _ID.match(deck_id):
            self.problem(1, f"deck id {deck_id!r} must be letters, digits, '-', '_' or '.'")
            return LoadResult(None, self.problems)
        deck_tags = self.tags(meta.get("tags"), 1)
        sections = self.sections(tokens)
        cards: list[Card] = []
        seen_ids: dict[str, int] = {}
        for section in sections:
            try:
                card = self.card(deck_id, section, deck_tags)
            except Exception as error:  # the card's last-resort boundary: the other cards still load
                self.problem(section.line, f"card could not be read: {unexpected_error(error)}")
                self.crashed = True
                continue
            if card is None:
                continue
            if card.card_id in seen_ids:
                self.problem(
                    section.line,
                    f"card id {card.card_id!r} is already used on line {seen_ids[card.card_id]}",
                )
                continue
            seen_ids[card.card_id] = section.line
            cards.append(card)
        if not sections:
            self.problem(1, "no cards: a card starts with a '## ' heading", "warning")
        title = str(meta.get("title") or deck_id)
        deck = Deck(deck_id, title, self.path, deck_tags, tuple(cards))
        return LoadResult(deck, self.problems, crashed=self.crashed)

    # -- structure -------------------------------------------------------------------------

    def front_matter(self, tokens: list[Any]) -> dict[str, Any]:
        import yaml

        if not tokens or tokens[0].type != "front_matter":
            return {}
        try:
            _, meta = parse_yaml(tokens[0].content)
        except yaml.YAMLError as error:
            self.problem(self.yaml_line(error, 2), f"front matter is not valid YAML: {_yaml_reason(error)}")
            return {}
        if meta is None:
            return {}
        if not isinstance(meta, dict):
            self.problem(2, "front matter must be a mapping (title: ..., id: ..., tags: [...])")
            return {}
        for key in meta:
            if key not in _FRONT_MATTER_KEYS:
                self.problem(2, f"unknown front matter key {key!r}{suggest(str(key), _FRONT_MATTER_KEYS)}")
        return meta

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
        if section.card_id is None:
            card_id = slugify(section.title)
            self.problem(
                line,
                f"card has no id: add {{#{card_id}}} to the heading (quizapp validate --fix-ids does it),"
                " or its progress is lost when the title changes",
                "warning",
            )
        elif not _ID.match(section.card_id):
            self.problem(line, f"card id {section.card_id!r} must be letters, digits, '-', '_' or '.'")
            return None
        else:
            card_id = section.card_id
        if len(section.quiz) > 1:
            self.problem(section.quiz[1][0] + 1, "a card has at most one quiz block")
            return None
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
                self.problem(line, "flash card has no back: add a '### Answer' section", "warning")
            return Card(kind="flash", tags=deck_tags, **base)  # type: ignore[arg-type]
        start, _, content = section.quiz[0]
        try:
            return _QuizReader(self, start + 2, content).card(base, deck_tags)
        except _CardInvalid:
            return None

    def tags(self, raw: object, line: int) -> tuple[str, ...]:
        if raw is None:
            return ()
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(t, str | int) for t in raw):
            self.problem(line, "tags must be a list of words, like [optimizers, adam]")
            return ()
        return tuple(str(t) for t in raw)

    def yaml_line(self, error: yaml.YAMLError, first_line: int) -> int:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        return first_line + (mark.line if mark is not None else 0)


class _CardInvalid(Exception):
    """Raised inside a card's reading once its problem is recorded: skip the card."""


def _yaml_reason(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    return " ".join(str(part) for part in (context, problem) if part) or str(error).splitlines()[0]


class _QuizReader:
    """Reads one quiz block; `first_line` is the 1-based file line of its first YAML line."""

    def __init__(self, deck: _DeckReader, first_line: int, content: str) -> None:
        self.deck = deck
        self.first_line = first_line
        self.content = content
        self.key_lines: dict[str, int] = {}
        self.item_lines: dict[str, list[int]] = {}
        self.item_key_lines: dict[str, dict[str, int]] = {}
        self.top_keys: frozenset[str] = frozenset()

    def fail(self, line: int, message: str) -> _CardInvalid:
        self.deck.problem(line, message)
        return _CardInvalid()

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.first_line)

    def card(self, base: dict[str, Any], deck_tags: tuple[str, ...]) -> Card:
        import yaml

        try:
            root, data = parse_yaml(self.content)
        except yaml.YAMLError as error:
            raise self.fail(
                self.deck.yaml_line(error, self.first_line),
                f"quiz block is not valid YAML: {_yaml_reason(error)}",
            ) from error
        if not isinstance(data, dict):
            raise self.fail(self.first_line, "quiz block must be a mapping of keys (kind: ..., answer: ...)")
        self.index_lines(root)
        self.top_keys = frozenset(str(k) for k in data)
        kind = self.kind(data)
        for key in data:
            if key not in _ALL_KEYS:
                self.deck.problem(
                    self.line_of(str(key)), f"unknown key {key!r}{suggest(str(key), _ALL_KEYS)}"
                )
            elif key not in _COMMON_KEYS and key not in _KIND_KEYS[kind]:
                allowed = ", ".join(sorted(_KIND_KEYS[kind] | _COMMON_KEYS))
                self.deck.problem(
                    self.line_of(key), f"{key!r} does not apply to {kind} cards (they take: {allowed})"
                )
        fields: dict[str, Any] = {
            "kind": kind,
            "tags": tuple(dict.fromkeys(deck_tags + self.deck.tags(data.get("tags"), self.line_of("tags")))),
        }
        if "answer" in data:
            fields["answer"] = self.formula(data["answer"], self.line_of("answer"), "answer")
        if "reference" in data:
            fields["reference"] = self.reference(data["reference"], self.line_of("reference"))
        if "variables" in data:
            fields["variables"] = self.variables(data["variables"])
        if "given" in data:
            fields["given"] = self.given(data["given"])
        if "options" in data:
            fields["options"] = self.options(data["options"], self.line_of("options"))
        if "tolerance" in data:
            fields["tolerance"] = self.tolerance(data["tolerance"], self.line_of("tolerance"))
        if "mistakes" in data:
            fields["mistakes"] = self.mistakes(data["mistakes"], "mistakes")
        if "steps" in data:
            fields["steps"] = self.steps(data["steps"])
        if "plot" in data:
            fields["plot"] = self.plot(data["plot"], self.line_of("plot"))
        card = Card(**base, **fields)
        self.require(card)
        return card

    def kind(self, data: dict[str, Any]) -> CardKind:
        kind = data.get("kind")
        if kind is None:  # infer from the keys, as documented
            for key, inferred in (("steps", "steps"), ("options", "choice"), ("variables", "symbolic")):
                if key in data:
                    return inferred  # type: ignore[return-value]
            return "numeric" if ("given" in data or "reference" in data) else "flash"
        if kind not in CARD_KINDS:
            raise self.fail(
                self.line_of("kind"),
                f"unknown kind {kind!r}{suggest(str(kind), list(CARD_KINDS))}; kinds: {', '.join(CARD_KINDS)}",
            )
        return kind  # type: ignore[no-any-return]

    def require(self, card: Card) -> None:
        if card.kind == "symbolic" and card.answer is None:
            raise self.fail(self.first_line, "a symbolic card needs an answer")
        if card.kind == "numeric" and card.answer is None and card.reference is None:
            raise self.fail(self.first_line, "a numeric card needs an answer or a reference")
        if card.kind == "choice":
            if not card.options:
                raise self.fail(self.first_line, "a choice card needs options")
            if card.answer is None and card.reference is None:
                raise self.fail(self.first_line, "a choice card needs an answer or a reference")
        if card.kind == "steps" and not card.steps:
            raise self.fail(self.first_line, "a steps card needs steps")

    # -- line bookkeeping ------------------------------------------------------------------

    def index_lines(self, root: yaml.Node | None) -> None:
        """Record the file line of each top-level key, and of the items under it."""
        import yaml

        if not isinstance(root, yaml.MappingNode):
            return
        for key_node, value_node in root.value:
            key = str(key_node.value)
            self.key_lines[key] = self.first_line + key_node.start_mark.line
            if isinstance(value_node, yaml.SequenceNode):
                self.item_lines[key] = [self.first_line + item.start_mark.line for item in value_node.value]
            elif isinstance(value_node, yaml.MappingNode):
                self.item_key_lines[key] = {
                    str(k.value): self.first_line + k.start_mark.line for k, _ in value_node.value
                }

    def item_line(self, key: str, index: int) -> int:
        lines = self.item_lines.get(key, [])
        return lines[index] if index < len(lines) else self.line_of(key)

    # -- values ----------------------------------------------------------------------------

    def formula(self, raw: object, line: int, what: str) -> Formula:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise self.fail(
                line, f"{what} must be an expression (text or a number), got {type(raw).__name__}"
            )
        return Formula(str(raw), line)

    def name(self, raw: object, line: int) -> str:
        try:
            tokens = tokenize(str(raw))
        except ExpressionError as error:
            raise self.fail(line, f"{raw!r} is not a valid name: {error.message}") from error
        if len(tokens) != 2 or tokens[0].kind != "name":
            raise self.fail(line, f"{raw!r} is not a valid name (letters, digits and _; Greek allowed)")
        return tokens[0].text

    def variables(self, raw: object) -> dict[str, Domain]:
        line = self.line_of("variables")
        if isinstance(raw, list):
            for index, item in enumerate(raw):  # [[x, y]]: a list is no name (nor a dict key)
                if isinstance(item, list | dict):
                    raise self.fail(self.item_line("variables", index), _VARIABLES_SHAPE)
            raw = dict.fromkeys(raw)
        if not isinstance(raw, dict):
            raise self.fail(line, _VARIABLES_SHAPE)
        lines = self.item_key_lines.get("variables", {})
        domains: dict[str, Domain] = {}
        for index, (name, spec) in enumerate(raw.items()):
            item_line = lines.get(str(name), self.item_line("variables", index))
            try:
                domains[self.name(name, item_line)] = parse_domain(spec)
            except EngineError as error:  # DomainError, or an end that cannot be evaluated
                raise self.fail(item_line, f"variable {name!r}: {error.message}") from error
        return domains

    def given(self, raw: object) -> tuple[Given, ...]:
        if not isinstance(raw, dict):
            raise self.fail(self.line_of("given"), "given must be a mapping of name: value or sampler")
        lines = self.item_key_lines.get("given", {})
        givens = []
        for name, spec in raw.items():
            line = lines.get(str(name), self.line_of("given"))
            if spec is None and not str(name).isidentifier():
                raise self.fail(
                    line,
                    f"given {name!r} is not a name: YAML splits {{x: uniform(1, 2)}} at the comma;"
                    " write one given per line (x: uniform(1, 2)) or quote the value",
                )
            if spec is None or isinstance(spec, bool) or not isinstance(spec, int | float | str | list):
                raise self.fail(
                    line, f"given {name!r} needs a value, a sampler such as uniform(-3, 3), or a formula"
                )
            givens.append(Given(self.name(name, line), spec, line))
        self.plannable(givens)
        return tuple(givens)

    def plannable(self, givens: list[Given]) -> None:
        """Every given must be readable now, with its sampler's arguments in range.

        A given that cannot be read can never be drawn, so the card could only fail in
        front of a learner (and a bad range, such as `randint(0, 10^100)`, used to fail
        deep in numpy): it is a problem at the given's line, and the card is left out.
        """
        from engine.decks.instance import GivenError, plan_givens  # numpy: only when a deck is parsed

        try:
            plan_givens(givens)
        except GivenError as error:
            raise self.fail(error.line or self.line_of("given"), error.message) from error

    def options(self, raw: object, line: int) -> tuple[str, ...]:
        if not isinstance(raw, list) or len(raw) < 2 or any(isinstance(o, dict | list) for o in raw):
            raise self.fail(line, "options must be a list of at least two choices")
        options = tuple(str(o).strip() for o in raw)
        if len({o.lower() for o in options}) != len(options):
            raise self.fail(line, "options must be different from each other")
        return options

    def tolerance(self, raw: object, line: int) -> Tolerance:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = {"rtol": raw}
        if not isinstance(raw, dict) or not set(raw) <= {"rtol", "atol"}:
            raise self.fail(line, "tolerance must be {rtol: ..., atol: ...}")
        values = {}
        for key, value in raw.items():
            if isinstance(value, str):
                try:
                    value = float(value)  # YAML reads 1e-3 (no dot) as a string
                except ValueError:
                    value = None
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < math.inf:
                raise self.fail(line, f"tolerance {key} must be a finite number ≥ 0")
            if key == "rtol" and value >= _MAX_RTOL:
                raise self.fail(
                    line,
                    f"tolerance rtol must be less than {_MAX_RTOL:g}: {value:g} accepts 0 for every answer",
                )
            values[key] = float(value)
        return Tolerance(**values)

    def mistakes(self, raw: object, key: str, step_line: int | None = None) -> tuple[DeclaredMistake, ...]:
        line = step_line or self.line_of(key)
        if not isinstance(raw, list):
            raise self.fail(line, "mistakes must be a list of {answer: ..., feedback: ...}")
        mistakes = []
        for index, item in enumerate(raw):
            item_line = step_line or self.item_line(key, index)
            if not isinstance(item, dict) or "answer" not in item or "feedback" not in item:
                raise self.fail(item_line, "each mistake needs an answer and a feedback")
            extra = set(item) - {"answer", "feedback", "name"}
            if extra:
                raise self.fail(
                    item_line, f"unknown key {sorted(extra)[0]!r} in a mistake (answer, feedback, name)"
                )
            mistakes.append(
                DeclaredMistake(
                    self.formula(item["answer"], item_line, "a mistake's answer"),
                    str(item["feedback"]).strip(),
                    str(item["name"]) if item.get("name") is not None else None,
                )
            )
        return tuple(mistakes)

    def reference(self, raw: object, line: int) -> ReferenceUse:
        """`reference: gelu`, `reference: adam_step.theta`, or a mapping with name, output, inputs."""
        if isinstance(raw, str):
            name, _, output = raw.strip().partition(".")
            return ReferenceUse(name, line, output or None)
        if not isinstance(raw, dict) or "name" not in raw or not set(raw) <= _REFERENCE_KEYS:
            raise self.fail(
                line, "reference must be a name (gelu, adam_step.theta) or {name, output, inputs}"
            )
        inputs = raw.get("inputs") or {}
        if not isinstance(inputs, dict):
            raise self.fail(line, "reference inputs must be a mapping of input: formula")
        bound = tuple((str(k), self.formula(v, line, f"reference input {k!r}")) for k, v in inputs.items())
        chosen = raw.get("output")
        function = self.formula(raw["function"], line, "reference function") if "function" in raw else None
        names = raw.get("variables") or []
        if not isinstance(names, list):
            raise self.fail(line, "reference variables must be a list of names, like [x, y]")
        variables = tuple(self.name(name, line) for name in names)
        if function is not None and not variables:
            raise self.fail(line, "a reference function needs its variables, like variables: [x, y]")
        picked = str(chosen) if chosen is not None else None
        return ReferenceUse(str(raw["name"]), line, picked, bound, function, variables)

    def plot(self, raw: object, line: int) -> PlotSpec:
        """`plot: {function, range, variable, derivative, mark, label}`; see docs/deck-format.md."""
        if not isinstance(raw, dict):
            raise self.fail(line, "plot must be a mapping: {function: ..., range: [low, high], ...}")
        lines = self.item_key_lines.get("plot", {})
        for key in raw:
            if key not in _PLOT_KEYS:
                raise self.fail(
                    lines.get(str(key), line), f"unknown key {key!r} in plot{suggest(str(key), _PLOT_KEYS)}"
                )
        if "function" not in raw or "range" not in raw:
            raise self.fail(line, "plot needs a function and a range: [low, high]")
        bounds = raw["range"]
        range_line = lines.get("range", line)
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise self.fail(range_line, "plot range must be [low, high] (numbers or formulas in the givens)")
        derivative = raw.get("derivative")
        derivative_line = lines.get("derivative", line)
        mark = raw.get("mark")
        label = raw.get("label")
        if label is not None and not isinstance(label, str):
            raise self.fail(lines.get("label", line), "plot label must be text")
        return PlotSpec(
            function=self.formula(raw["function"], lines.get("function", line), "plot function"),
            low=self.formula(bounds[0], range_line, "plot range"),
            high=self.formula(bounds[1], range_line, "plot range"),
            variable=self.name(raw.get("variable", "x"), lines.get("variable", line)),
            derivative=(
                None
                if derivative is None or isinstance(derivative, bool)
                else self.formula(derivative, derivative_line, "plot derivative")
            ),
            numeric_derivative=derivative is True,
            mark=None if mark is None else self.name(mark, lines.get("mark", line)),
            label=label,
            line=line,
        )

    def steps(self, raw: object) -> tuple[Step, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(
                self.line_of("steps"), "steps must be a list of parts, each with a name and an answer"
            )
        steps = []
        names: set[str] = set()
        for index, item in enumerate(raw):
            line = self.item_line("steps", index)
            if not isinstance(item, dict) or "name" not in item:
                raise self.fail(line, "each step needs a name (and an answer or options)")
            for key in item:
                if key not in _STEP_KEYS:
                    raise self.fail(line, f"unknown key {key!r} in a step{suggest(str(key), _STEP_KEYS)}")
            name = self.name(item["name"], line)
            if name in names:
                raise self.fail(line, f"two steps are named {name!r}")
            names.add(name)
            answer = self.formula(item["answer"], line, "a step's answer") if "answer" in item else None
            options = self.options(item["options"], line) if "options" in item else ()
            output = str(item["output"]) if item.get("output") is not None else None
            if answer is None and not options and output is None and "reference" not in self.top_keys:
                raise self.fail(line, f"step {name!r} needs an answer (or the card a reference)")
            steps.append(
                Step(
                    name=name,
                    prompt=str(item.get("prompt") or name).strip(),
                    answer=answer,
                    options=options,
                    tolerance=self.tolerance(item["tolerance"], line) if "tolerance" in item else Tolerance(),
                    mistakes=self.mistakes(item["mistakes"], "steps", line) if "mistakes" in item else (),
                    output=output,
                    line=line,
                )
            )
        return tuple(steps)


def add_missing_ids(path: Path) -> list[tuple[int, str]]:
    """Write a slug id into every card heading of `path` that lacks one.

    Only those heading lines change (the rest of the file is kept byte for byte); the
    ids are unique within the deck. Returns (line, id) for each id written. Raises
    DeckFileError for a file `load_deck` would not read either (not a regular file,
    too large, not UTF-8), leaving it untouched.
    """
    source = decode_deck(read_deck_bytes(path))  # bytes: keep the file's own line endings
    lines = source.splitlines(keepends=True)
    sections = _DeckReader(path, source).sections(_markdown().parse(source))
    taken = {s.card_id for s in sections if s.card_id}
    added: list[tuple[int, str]] = []
    for section in sections:
        if section.card_id is not None:
            continue
        base = slugify(section.title)
        card_id, counter = base, 2
        while card_id in taken:
            card_id, counter = f"{base}-{counter}", counter + 1
        taken.add(card_id)
        index = section.line - 1
        body = lines[index].rstrip("\r\n")
        ending = lines[index][len(body) :]
        lines[index] = f"{body.rstrip()} {{#{card_id}}}{ending}"
        added.append((section.line, card_id))
    if added:
        temporary = path.with_name(path.name + ".tmp")
        try:
            temporary.write_bytes("".join(lines).encode("utf-8"))
            temporary.replace(path)
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise DeckFileError(f"cannot write: {error.strerror or error}") from error
    return added
