"""The terminal UI (Textual): ``archivist`` with no command opens it.

A thin shell over the core: ``session`` wraps the core services (plain Python, no Textual, called from
worker threads), ``render`` turns results into text, and the screens and widgets only render and dispatch.
"""
