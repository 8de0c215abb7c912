"""The blank syntax of cloze cards (engine.decks.blanks): found, hidden, filled, exported."""

from __future__ import annotations

import pytest

from engine.decks.blanks import (
    BlankSyntaxError,
    anki_clozes,
    blanked,
    cloze_formula,
    fill_marks,
    find_blanks,
    unblanked,
)


def test_a_blank_holds_one_balanced_brace_group() -> None:
    text = r"\frac{\blank{\frac{a}{\sqrt{b}}}}{\blank {c}} + \blank{\{x\}}"
    blanks = find_blanks(text)
    assert [b.content for b in blanks] == [r"\frac{a}{\sqrt{b}}", "c", r"\{x\}"]
    assert [b.number for b in blanks] == [1, 2, 3]
    assert text[blanks[0].start : blanks[0].end] == r"\blank{\frac{a}{\sqrt{b}}}"


def test_a_blank_next_to_a_closing_brace_ends_at_its_own() -> None:
    text = r"\sqrt{\blank{v}}+\epsilon}"
    (blank,) = find_blanks(text)
    assert blank.content == "v"
    assert text[blank.end :] == r"}+\epsilon}"


def test_a_command_that_merely_starts_with_blank_is_not_one() -> None:
    assert find_blanks(r"\blanket{x} \blanks") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (r"\blank{\frac{a}{b}", "never closed"),
        (r"\blank{ }", "empty"),
        (r"\blank x", "followed by {content}"),
        (r"\blank{a + \blank{b}}", "cannot hold another blank"),
    ],
)
def test_a_malformed_blank_is_named_with_its_offset(text: str, message: str) -> None:
    with pytest.raises(BlankSyntaxError, match=message) as caught:
        find_blanks("$$" + text + "$$")
    assert caught.value.offset >= 2


def test_hidden_behind_numbered_marks_and_filled_in_order() -> None:
    text = r"$$y = \frac{\blank{x-\mu}}{\blank{s}}$$"
    shown = blanked(text)
    assert shown == r"$$y = \frac{⟦1⟧}{⟦2⟧}$$"
    assert "x-" not in shown
    assert fill_marks("y = ⟦1⟧/⟦2⟧", {1: "x − μ"}) == "y = ⟦x − μ⟧/⟦2⟧"
    assert unblanked(text) == r"$$y = \frac{{x-\mu}}{{s}}$$"


def test_a_malformed_blank_is_shown_as_written_never_raising() -> None:
    assert blanked(r"$$\blank{x$$") == r"$$\blank{x$$"


def test_the_formula_is_the_one_display_math_holding_the_blanks() -> None:
    prompt = "Adam's update, for $t \\ge 1$:\n\n$$\\theta \\leftarrow \\theta - \\eta\\blank{g}$$\n"
    formula = cloze_formula(prompt)
    assert formula.tex == r"\theta \leftarrow \theta - \eta\blank{g}"
    assert [b.content for b in formula.blanks] == ["g"]
    assert formula.right_side == r"\theta - \eta{g}"


@pytest.mark.parametrize(
    ("tex", "right"),
    [
        (r"y = \blank{a} = b", "b"),
        (r"\frac{a}{b=c}", r"\frac{a}{b=c}"),  # an = inside braces is not the formula's
        (r"x := \blank{1}", "{1}"),
        (r"\blank{a}+1", "{a}+1"),
    ],
)
def test_the_right_side_follows_the_last_top_level_assignment(tex: str, right: str) -> None:
    if r"\blank" not in tex:
        tex += r"+\blank{z}"
        right += "+{z}"
    assert cloze_formula(f"$${tex}$$").right_side == right


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("No blank here: $$x$$", "needs a blank"),
        (r"Inline $\blank{x}$ only.", "display math"),
        (r"Prose \blank{x} and $$y$$", "inside the card's display formula"),
        (r"$$\blank{a}$$ and $$\blank{b}$$", "one formula"),
        ("$$" + "+".join(r"\blank{x}" for _ in range(10)) + "$$", "at most 9"),
    ],
)
def test_blanks_outside_one_display_formula_are_refused(prompt: str, message: str) -> None:
    with pytest.raises(BlankSyntaxError, match=message):
        cloze_formula(prompt)


def test_anki_deletions_never_meet_latex_braces() -> None:
    text = r"$$\frac{\blank{\frac{a}{\sqrt{b}}}}{\blank{c::d}}$$"
    exported = anki_clozes(text)
    assert exported == r"$$\frac{{{c1::\frac{a}{\sqrt{b} } }}}{{{c2::c: :d }}}$$"
    # Anki ends a deletion at the first "}}": each must end exactly where its content does.
    first = exported.index("{{c1::")
    assert exported[first:].index("}}") == len("{{c1::" + r"\frac{a}{\sqrt{b} } ")
