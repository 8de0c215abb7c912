"""Decks: from a markdown file to the cards a learner is asked, and what each instance expects.

Owns reading deck files (`loader`, with its YAML and markdown parsing in `quiz_yaml`,
`quiz_block` and `quiz_fields`, and the invisible characters a YAML escape leaves in a
text, `hygiene`), the deck model (`cards`, `problems`), the card kinds (`kinds`: one module
per kind, how each is solved, checked, previewed, shown and validated), finding decks and
cards (`catalog`, with its cache), drawing an instance of a card (`instance`: givens,
placeholders), its expected answers (`solution`, through the torch `references`) and
function plots (`plot`).

May import: `engine.errors`, `engine.render`, `engine.expr`, `engine.references`,
`engine.checking`. Never: `engine.study`, `engine.storage`, `engine.export`.
"""
