"""Card kinds: one module each behind one table, and nothing else that branches on a kind's name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engine.decks.cards import CARD_KINDS
from engine.decks.kinds import KINDS, Kind, implied_kind, kind_named
from tests.conftest import REPO

KIND_PACKAGE = REPO / "engine" / "decks" / "kinds"


def test_every_kind_has_a_row_and_a_module() -> None:
    assert set(KINDS) == set(CARD_KINDS)
    for name in CARD_KINDS:
        kind = kind_named(name)
        assert isinstance(kind, Kind)
        assert kind.name == name


def test_an_unknown_kind_is_named() -> None:
    with pytest.raises(KeyError, match="essay"):
        kind_named("essay")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("keys", "kind"),
    [
        ({"steps", "given", "options"}, "steps"),
        ({"options", "variables"}, "choice"),
        ({"variables", "answer"}, "symbolic"),
        ({"given", "answer"}, "numeric"),
        ({"reference"}, "numeric"),
        ({"tags"}, "flash"),
    ],
)
def test_a_missing_kind_is_implied_by_the_keys(keys: set[str], kind: str) -> None:
    assert implied_kind(keys) == kind


def test_only_checked_kinds_are_checked() -> None:
    assert [name for name in CARD_KINDS if not kind_named(name).checked] == ["flash"]


def kind_name_tests(source: str) -> list[int]:
    """Lines that compare something's `.kind` with a card kind's name (`card.kind == "steps"`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        names_a_kind = any(
            isinstance(side, ast.Attribute) and side.attr == "kind" and not _is_token(side) for side in sides
        )
        literals = [
            elt
            for side in sides
            for elt in (side.elts if isinstance(side, ast.Tuple | ast.Set | ast.List) else [side])
            if isinstance(elt, ast.Constant) and elt.value in CARD_KINDS
        ]
        if names_a_kind and literals:
            found.append(node.lineno)
    return found


def _is_token(attribute: ast.Attribute) -> bool:
    """The tokenizer's and the samplers' own `kind`s are not card kinds."""
    return isinstance(attribute.value, ast.Name) and attribute.value.id in {
        "token",
        "following",
        "self",
        "sampler",
    }


def test_a_kind_test_is_found() -> None:
    assert kind_name_tests('if card.kind == "steps":\n    pass\n') == [1]
    assert kind_name_tests('ok = instance.card.kind in ("numeric", "choice")\n') == [1]
    assert kind_name_tests("if card.steps:\n    pass\n") == []


def test_nothing_outside_the_kinds_branches_on_a_kind_name() -> None:
    sources = [*(REPO / "engine").rglob("*.py"), *(REPO / "quizapp").rglob("*.py")]
    found = [
        f"{path.relative_to(REPO)}:{line}"
        for path in sources
        if KIND_PACKAGE not in path.parents
        for line in kind_name_tests(Path(path).read_text(encoding="utf-8"))
    ]
    assert found == [], "ask kind_of(card) instead of testing the kind's name"
