"""Decks: from a markdown file to the cards a learner is asked, and what each instance expects.

Owns reading deck files (`loader`, with its YAML and markdown parsing), the deck model
(`cards`, `domains`, `problems`), finding decks and cards (`catalog`, with its cache),
drawing an instance of a card (`instance`: givens, placeholders) and its expected answers
(`solution`, through the torch `references`), function plots (`plot`), and the author's
checks (`validation`).

May import: `engine.errors`, `engine.render`, `engine.expr`, `engine.references`, and
`engine.checking` (validation checks declared mistakes as a learner's answer would be).
Never: `engine.study`, `engine.storage`, `engine.export`.
"""
