"""The expression language: parse text into an inert tree, print it, evaluate it."""
