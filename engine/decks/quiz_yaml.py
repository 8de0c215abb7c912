"""The YAML of quiz blocks: parsed once, safely, within bounds.

PyYAML's safe loader (libyaml's C parser when present) composes the node tree, which
gives each key's line, and the same tree is constructed into plain data. The subset decks
use has no anchors or aliases (a few lines of them expand into gigabytes) and bounded
nesting, value count and scalar size; anything beyond is a YAML error at its line.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import yaml

# Bounds of the YAML in a deck (docs/deck-format.md, "Limits"). Decks nest five levels
# deep and their longest value is a few hundred characters; numbers are bounded well
# below Python's 4,300-digit limit on converting integers from text.
MAX_YAML_DEPTH: Final = 20
MAX_YAML_SCALAR_CHARS: Final = 10_000
MAX_YAML_NUMBER_CHARS: Final = 100
MAX_YAML_NODES: Final = 10_000  # values in one block; a card has a few dozen


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


def yaml_reason(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    return " ".join(str(part) for part in (context, problem) if part) or str(error).splitlines()[0]
