"""Archivist: offline, privacy-first question answering over local folders, with cited passages."""

__version__ = "0.1.0"
