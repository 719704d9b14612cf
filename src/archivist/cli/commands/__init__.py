"""The commands of ``archivist``, one module per kind; each has ``register(cli)`` and calls ``archivist.app``."""
