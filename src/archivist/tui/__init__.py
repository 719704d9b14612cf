"""The terminal UI (Textual): ``archivist`` with no command opens it.

A thin shell over the application layer: ``session`` wraps the workspace of ``archivist.app`` (plain Python, no
Textual, called from worker threads), ``render`` turns results into text, and the screens and widgets only render
and dispatch. It never imports the CLI.
"""
