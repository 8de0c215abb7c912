"""Studying: the life of an answer, the schedule, drills and the statistics drawn from the log.

Owns the answer lifecycle (`session`: check, verdict, suggested rating, review and
schedule written together, re-rating, undo), FSRS scheduling and the daily queue
(`scheduling`), a session's cards set aside and taken back (`aside`), the card browser's
query language (`browse`), timed drills and their reports (`drill`), and statistics (`stats`).

May import: `engine.decks`, `engine.checking`, `engine.storage`, `engine.errors`.
Never: `engine.export`, textual.
"""
