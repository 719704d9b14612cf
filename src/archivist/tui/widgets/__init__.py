"""Widgets of the terminal UI's main screen."""
