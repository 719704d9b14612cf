"""Extraction: turn a file into text blocks that remember where they came from."""

from archivist.ingest.base import Block, Document, extract, extractor_for, supported_suffixes

__all__ = ["Block", "Document", "extract", "extractor_for", "supported_suffixes"]
