"""The Anki export: a valid .apkg (a zip holding a SQLite collection), one note per card, stable guids."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

from engine.decks.catalog import Catalog
from engine.export.anki import export_anki, markdown_to_html
from tests.conftest import FIXTURES


def notes(apkg: Path, tmp_path: Path) -> list[tuple[str, str, str]]:
    with zipfile.ZipFile(apkg) as package:
        assert package.testzip() is None
        assert "collection.anki2" in package.namelist()
        package.extract("collection.anki2", tmp_path / apkg.stem)
    db = sqlite3.connect(tmp_path / apkg.stem / "collection.anki2")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert (
            db.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
            == db.execute("SELECT COUNT(*) FROM notes").fetchone()[0]
        )
        return db.execute("SELECT guid, flds, tags FROM notes ORDER BY guid").fetchall()
    finally:
        db.close()


def test_the_export_is_a_valid_package_with_one_note_per_card(tmp_path: Path) -> None:
    decks = Catalog.load([FIXTURES / "drill", FIXTURES / "study"]).decks
    cards = sum(len(d.cards) for d in decks)
    report = export_anki(decks, tmp_path / "first.apkg", timestamp=0)
    assert report.notes == cards
    assert report.decks == 2
    assert not report.skipped
    rows = notes(tmp_path / "first.apkg", tmp_path)
    assert len(rows) == cards
    assert len({guid for guid, _, _ in rows}) == cards  # unique

    fields = {flds.split("\x1f")[2]: flds.split("\x1f") for _, flds, _ in rows}
    front, back, _ = fields["drillfix/softplus"]
    assert "\\(x = 1.5\\)" in front  # a fixed instance, math for MathJax
    assert "<b>Answer:</b> 1.70141" in back
    assert "saddle point" in fields["drillfix/saddle"][0]

    # A re-export (after an edit) keeps every guid, so Anki updates instead of duplicating.
    export_anki(decks, tmp_path / "second.apkg", timestamp=1)
    assert [g for g, _, _ in notes(tmp_path / "second.apkg", tmp_path)] == [g for g, _, _ in rows]


def test_math_survives_markdown() -> None:
    html = markdown_to_html("Let $x_1 * y_2$ be, and $$\\sum_i a_i$$ and `code` <script>")
    assert "\\(x_1 * y_2\\)" in html
    assert "\\[\\sum_i a_i\\]" in html
    assert "<code>code</code>" in html
    assert "<script>" not in html
    assert markdown_to_html("costs $5 and $6") == "<p>costs $5 and $6</p>"


def test_math_is_found_by_the_rule_the_app_uses() -> None:
    assert markdown_to_html("Cost is $5 and $x$") == "<p>Cost is $5 and \\(x\\)</p>"
    assert markdown_to_html("an escaped \\$5 and $y$") == "<p>an escaped $5 and \\(y\\)</p>"
    assert markdown_to_html("$\\sigma(x)\\,(1 +\n x)$") == "<p>\\(\\sigma(x)\\,(1 +\n x)\\)</p>"
    assert markdown_to_html("`$x$` is code") == "<p><code>$x$</code> is code</p>"
    assert "\\(" not in markdown_to_html("```\n$x$\n```")


def test_a_cloze_card_is_a_real_anki_cloze_note(tmp_path: Path) -> None:
    import json
    import re

    decks = Catalog.load([FIXTURES / "cloze"]).decks
    report = export_anki(decks, tmp_path / "cloze.apkg", timestamp=0)
    assert report.notes == 3
    assert not report.skipped
    with zipfile.ZipFile(tmp_path / "cloze.apkg") as package:
        package.extract("collection.anki2", tmp_path)
    db = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
        rows = db.execute("SELECT id, mid, flds FROM notes").fetchall()
        cards_per_note = dict(db.execute("SELECT nid, COUNT(*) FROM cards GROUP BY nid").fetchall())
    finally:
        db.close()
    texts = {}
    for note_id, model_id, flds in rows:
        model = models[str(model_id)]
        assert model["name"] == "quizapp cloze"
        assert model["type"] == 1  # Anki's cloze note type
        text, extra, card_id = flds.split("\x1f")
        texts[card_id] = (text, extra, cards_per_note[note_id])
    text, extra, count = texts["cloze/adam-denominator"]
    assert r"\[\theta \leftarrow \theta - \frac{\eta\,\hat m}{{{c1::\sqrt{\hat v} + \epsilon }}}\]" in text
    assert "torch.optim.Adam" in extra
    assert count == 1
    # Anki's own rule: a deletion runs to the first "}}". Each must hold exactly its blank.
    deletion = re.compile(r"\{\{c(\d+)::(.*?)\}\}", re.DOTALL)
    text, _, count = texts["cloze/batchnorm"]
    assert [(n, c.strip()) for n, c in deletion.findall(text)] == [
        ("1", r"x - \mu"),
        ("2", r"\sigma^2 + \epsilon"),
        ("3", r"\beta"),
    ]
    assert count == 3  # one Anki card per blank
    text, _, _ = texts["cloze/momentum-number"]
    assert [c.strip() for _, c in deletion.findall(text)] == ["0.9", r"\frac{1}{10}"]
