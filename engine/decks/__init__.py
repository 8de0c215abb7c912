"""Decks: from a markdown file to the cards a learner is asked, and what each instance expects.

Owns reading deck files (`loader`, with its YAML and markdown parsing), the deck model
(`cards`, `domains`, `problems`), finding decks and cards (`catalog`, with its cache),
drawing an instance of a card (`instance`: givens, placeholders) and its expected answers
(`solution`, through the torch `references`) and function plots (`plot`).

May import: `engine.errors`, `engine.render`, `engine.expr`, `engine.references`.
Never: `engine.checking`, `engine.study`, `engine.storage`, `engine.export`.
"""
