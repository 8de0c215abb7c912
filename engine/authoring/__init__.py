"""Authoring: checking a deck the way `quizapp validate` does, before a learner meets it.

Owns `validation`: every card drawn at many random instances, its expected answers
compared with torch, its declared mistakes checked as a learner's answer would be, its
plot evaluated; every problem reported as `file:line`.

May import: `engine.decks`, `engine.checking`, `engine.expr`, `engine.references`,
`engine.errors`. Nothing imports it but the command line (through the public API).
"""
