"""Screens of the terminal UI: the main workspace, the unlock screen and the modal dialogs."""
