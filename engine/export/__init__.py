"""Exports of the decks to other tools: Anki packages (`anki`).

May import: `engine.decks`, `engine.render`, `engine.errors`.
"""
