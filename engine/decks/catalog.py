"""Find decks on disk and cards by reference (`deck-id/card-id` or `path/to/deck.md#card-id`).

Reading the bundled decks takes a fresh process a few hundred milliseconds (markdown,
YAML, checking every field), which is most of the time before the deck list appears.
`Catalog.load(paths, cache_dir=...)` keeps what each deck read into as a JSON file
(`DiskCache`), so a later launch with unchanged decks and an unchanged engine skips the
parsing, and even the import of the YAML and markdown parsers. The JSON holds plain
data only and is read by a decoder that builds nothing but the deck records; anything
unexpected in it is treated as a miss.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
import os
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path, PurePath
from typing import Any, Final

from engine.decks.cards import (
    Card,
    Deck,
    DeclaredMistake,
    Formula,
    Given,
    PlotSpec,
    Precision,
    ReferenceUse,
    Step,
    Tolerance,
)
from engine.decks.loader import LOADER_VERSION, LoadResult, load_deck, load_decks
from engine.decks.problems import Problem
from engine.errors import CardNotFound
from engine.expr.domains import Domain

CACHE_FORMAT: Final = 1
CACHE_ENV_VAR: Final = "QUIZAPP_CACHE_DIR"
# One entry per deck path; more than this (tests, moved folders) and the oldest go.
MAX_CACHE_ENTRIES: Final = 200
_RECORDS: Final[dict[str, type]] = {
    cls.__name__: cls
    for cls in (
        Deck,
        Card,
        Formula,
        DeclaredMistake,
        Given,
        ReferenceUse,
        Step,
        PlotSpec,
        Tolerance,
        Precision,
        Domain,
        Problem,
    )
}
_PLAIN: Final = frozenset({str, int, float, bool, type(None)})  # JSON's own values, kept as they are
# Besides the engine, what a deck reads into depends on these parsers' versions.
_PARSER_PACKAGES: Final = ("yaml", "markdown_it", "mdit_py_plugins")


def deck_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the markdown files they hold (sorted); keep files as given.

    Whatever a folder holds under a `.md` name but a subfolder is kept: a named pipe, a
    device or a dangling link there is reported by `load_deck`, not silently passed over.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.glob("*.md") if not p.is_dir() and p.name.lower() != "readme.md")
            )
        else:
            files.append(path)
    return files


def default_cache_dir() -> Path:
    """Where read decks are kept between launches: `$QUIZAPP_CACHE_DIR`, else the platform's
    per-user cache folder (`~/.cache/quizapp/decks` on Linux).

    A cache, not data: deleting it loses nothing but the next launch's head start. The
    variable lets tests and benchmarks keep it out of the user's home.
    """
    override = os.environ.get(CACHE_ENV_VAR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("quizapp", appauthor=False)) / "decks"


@dataclass
class Catalog:
    """Loaded decks, and the problems that kept some of them (or some cards) out."""

    decks: list[Deck]
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def load(cls, paths: Iterable[Path], *, cache_dir: Path | None = None) -> Catalog:
        """Read the decks in `paths` (files, or folders of them).

        Unchanged decks read before in this process are not read again. With `cache_dir`
        (see `default_cache_dir`), decks read by an earlier process are taken from there.
        """
        store = DiskCache(cache_dir) if cache_dir is not None else None
        decks, problems = load_decks(deck_files(paths), store)
        return cls(decks, problems)

    def deck(self, deck_id: str) -> Deck | None:
        return next((d for d in self.decks if d.id == deck_id), None)

    def find_card(self, reference: str) -> Card:
        """The card a reference names; a path reference loads that file on demand.

        A card left out of its deck by an error is not found; the message then lists the
        deck's errors, since one of them is likely why.
        """
        if "#" in reference:
            path_text, _, card_id = reference.rpartition("#")
            path = Path(path_text)
            if not path.exists():  # anything else there (a folder, a FIFO): load_deck says what
                raise CardNotFound(f"no deck file {path_text!r}")
            result = load_deck(path)
            if result.deck is None:
                reasons = "; ".join(str(p) for p in result.problems)
                raise CardNotFound(f"deck {path_text!r} could not be read: {reasons}")
            deck, problems = result.deck, result.problems
        else:
            deck_id, slash, card_id = reference.partition("/")
            found = self.deck(deck_id) if slash else None
            if found is None:
                known = ", ".join(d.id for d in self.decks) or "none"
                raise CardNotFound(
                    f"no deck {deck_id!r} (write deck-id/card-id or path/to/deck.md#card-id; decks: {known})"
                )
            deck, problems = found, self.problems
        card = deck.card(card_id)
        if card is None:
            known = ", ".join(c.card_id for c in deck.cards[:12])
            more = ", ..." if len(deck.cards) > 12 else ""
            message = f"deck {deck.id!r} has no card {card_id!r} (cards: {known}{more})"
            errors = [str(p) for p in problems if p.path == deck.path and p.severity == "error"]
            if errors:  # the card may be there, and left out for one of them
                message += "; errors leave cards out: " + "; ".join(errors[:3])
            raise CardNotFound(message)
        return card


@dataclass(frozen=True)
class DiskCache:
    """Read decks kept between processes: one JSON file per deck path, in `folder`.

    An entry is used only when it names the same path, the same hash of the deck's
    bytes and the same `engine_fingerprint` (the loader's version and the source of the
    engine and of the parsers it uses), so an edited deck or an upgraded quizapp is read
    afresh. Entries are written atomically (a reader sees a whole entry or none), and
    every failure (a read-only folder, a damaged file, a value `encode` does not know)
    is a miss, never an error.
    """

    folder: Path

    def entry(self, path: Path) -> Path:
        return self.folder / (
            hashlib.sha256(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:32] + ".json"
        )

    def get(self, path: Path, digest: str) -> LoadResult | None:
        fingerprint = engine_fingerprint()
        if fingerprint is None:
            return None
        try:
            stored = json.loads(self.entry(path).read_bytes())
            if stored.get("key") != [CACHE_FORMAT, fingerprint, str(path), digest]:
                return None
            deck, problems = decode(stored["deck"]), decode(stored["problems"])
        except Exception:  # missing, unreadable or damaged: read the deck instead
            return None
        if (deck is not None and not isinstance(deck, Deck)) or not (
            isinstance(problems, list) and all(isinstance(p, Problem) for p in problems)
        ):
            return None
        return LoadResult(deck, problems)

    def put(self, path: Path, digest: str, result: LoadResult) -> None:
        fingerprint = engine_fingerprint()
        if fingerprint is None:
            return
        try:
            stored = {
                "key": [CACHE_FORMAT, fingerprint, str(path), digest],
                "deck": encode(result.deck),
                "problems": encode(result.problems),
            }
            text = json.dumps(stored, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.entry(path)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(target)
            self.prune()
        except Exception:  # an optimisation: a cache that cannot be written is no cache
            return

    def prune(self) -> None:
        """Keep the `MAX_CACHE_ENTRIES` most recently written entries."""
        entries = list(self.folder.glob("*.json"))
        if len(entries) <= MAX_CACHE_ENTRIES:
            return
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[MAX_CACHE_ENTRIES:]:
            old.unlink(missing_ok=True)


@functools.cache
def engine_fingerprint() -> str | None:
    """A hash of everything besides the deck that decides what it reads into.

    That is the loader's version, Python's, every source file of the engine (a
    hand-bumped version is easily forgotten while the loader or the records change) and
    the parser packages' `__init__.py`, which carry their versions (asking
    importlib.metadata would cost more than the cache saves). None when the sources
    cannot be read (an install without .py files): then nothing is cached on disk.
    """
    digest = hashlib.sha256(f"{CACHE_FORMAT}:{LOADER_VERSION}:{sys.version}".encode())
    try:
        sources = sorted(Path(__file__).resolve().parent.rglob("*.py"))
        if not sources:
            return None
        for source in sources:
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
        for package in _PARSER_PACKAGES:
            spec = importlib.util.find_spec(package)
            if spec is None or spec.origin is None:
                return None
            digest.update(Path(spec.origin).read_bytes())
    except (OSError, ImportError, ValueError):
        return None
    return digest.hexdigest()


def encode(value: object) -> Any:
    """Plain JSON for a deck, its problems and what they hold, keeping every type exact.

    Records become {"record": name, "fields": {...}}; tuples, dicts (with their keys'
    types), paths and infinities are tagged, lists and scalars stay as they are. Types
    are matched exactly (a subclass of int or str is not an int or a str here), and
    anything else raises TypeError: such a deck is then cached in memory only.
    """
    kind = type(value)
    if kind in _PLAIN and not (isinstance(value, float) and not math.isfinite(value)):
        return value
    if isinstance(value, float) and kind is float:
        return {"float": repr(value)}  # inf, -inf or nan, which JSON lacks
    if isinstance(value, list) and kind is list:
        return [encode(item) for item in value]
    if isinstance(value, tuple) and kind is tuple:
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, dict) and kind is dict:
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, PurePath) and kind is type(Path()):
        return {"path": str(value)}
    if is_dataclass(value) and _RECORDS.get(kind.__name__) is kind:
        return {
            "record": kind.__name__,
            "fields": {f.name: encode(getattr(value, f.name)) for f in fields(value)},
        }
    raise TypeError(f"cannot cache a {kind.__name__}")


def decode(data: Any) -> Any:
    """The value `encode` gave `data` for; only deck records, paths and plain data are built.

    Raises ValueError (or KeyError, TypeError) on anything `encode` does not write. It
    runs at every launch over some ten thousand values, so plain values are passed
    through without a call.
    """
    kind = type(data)
    if kind in _PLAIN:
        return data
    if kind is list:
        return [item if type(item) in _PLAIN else decode(item) for item in data]
    if kind is not dict:
        raise ValueError("not an encoded value")
    if len(data) == 2:
        cls = _RECORDS[data["record"]]
        values = data["fields"]
        if type(values) is not dict or values.keys() != _field_names(cls):
            raise ValueError(f"the fields of {cls.__name__} have changed")
        return cls(**{name: v if type(v) in _PLAIN else decode(v) for name, v in values.items()})
    ((tag, inner),) = data.items()
    if tag == "tuple" and type(inner) is list:
        return tuple([item if type(item) in _PLAIN else decode(item) for item in inner])
    if tag == "dict" and type(inner) is list:
        return {decode(key): decode(value) for key, value in inner}
    if tag == "path" and type(inner) is str:
        return _path(inner)
    if tag == "float" and inner in ("inf", "-inf", "nan"):
        return float(inner)
    raise ValueError(f"unknown tag {tag!r}")


@functools.lru_cache(maxsize=1024)
def _path(text: str) -> Path:
    """One Path object for all the cards of a deck (immutable, so shared safely)."""
    return Path(text)


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))
