"""The encrypted index (SQLCipher + FTS5 + sqlite-vec) and the indexer that keeps it in step with folders."""
