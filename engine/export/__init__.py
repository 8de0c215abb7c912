"""Exports of the decks to other tools: Anki packages (`anki`).

May import: `engine.decks`, `engine.checking` (the expected answer on a card's back),
`engine.expr`, `engine.render`, `engine.errors`.
"""
