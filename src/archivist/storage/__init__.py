"""Storage: the one place that touches SQLCipher and writes private files.

- ``sqlcipher``: opening an encrypted database (creating it atomically at 0600), transactions.
- ``migrate``: the one numbered-migration runner, for the index (``index.migrations``) and the state file.
- ``private``: ``write_private``, the one atomic writer of files that hold secrets or document text.
- ``state``: the state file (feedback, history, audit trail, forgotten paths) that outlives index generations.
"""
