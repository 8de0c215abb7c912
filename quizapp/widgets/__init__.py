"""Widgets of the study app, one per module."""
