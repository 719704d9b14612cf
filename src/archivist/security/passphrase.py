"""Where the index passphrase comes from: ``ARCHIVIST_PASSPHRASE`` or an interactive prompt.

The passphrase is never written anywhere by Archivist.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from archivist.errors import PassphraseMissing

ENV = "ARCHIVIST_PASSPHRASE"


def get_passphrase(*, creating: bool, prompt: Callable[[str, bool], str] | None = None) -> str:
    """Return the passphrase from the environment, else ask on the terminal.

    Args:
        creating: the database does not exist yet (the prompt asks twice to confirm).
        prompt: ``prompt(text, confirm)`` used instead of the terminal (TUI, tests).

    Raises:
        PassphraseMissing: no environment value and no terminal to ask on, or an empty answer.
    """
    value = os.environ.get(ENV)
    if value:
        return value
    if prompt is None:
        if not sys.stdin.isatty():
            raise PassphraseMissing(
                "No passphrase: the index is encrypted and there is no terminal to ask on.",
                hint=f"Set {ENV} or run in a terminal.",
            )
        import click

        def prompt(text: str, confirm: bool) -> str:
            return click.prompt(text, hide_input=True, confirmation_prompt=confirm, err=True)

    text = "Choose a passphrase for the new encrypted index" if creating else "Index passphrase"
    value = prompt(text, creating)
    if not value:
        raise PassphraseMissing("The passphrase cannot be empty.", hint=f"Type one, or set {ENV}.")
    return value
