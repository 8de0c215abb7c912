"""Screens of the study app, one per module, each with its own .tcss."""
