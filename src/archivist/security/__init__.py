"""Secrets: the index passphrase."""
