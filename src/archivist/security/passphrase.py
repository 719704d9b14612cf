"""Where the index passphrase comes from: ``ARCHIVIST_PASSPHRASE`` or an interactive prompt.

The passphrase is never written anywhere by Archivist.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from archivist.errors import PassphraseMissing

ENV = "ARCHIVIST_PASSPHRASE"
FILE_ENV = "ARCHIVIST_PASSPHRASE_FILE"
CREDENTIAL = "archivist-passphrase"


def _systemd_credential() -> str | None:
    """systemd's ``LoadCredential=archivist-passphrase:...`` (the unit in packaging/systemd)."""
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    if folder and (Path(folder) / CREDENTIAL).is_file():
        return str(Path(folder) / CREDENTIAL)
    return None


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
    file = os.environ.get(FILE_ENV) or _systemd_credential()
    if file:
        try:
            value = Path(file).read_text().rstrip("\n")
        except OSError as exc:
            raise PassphraseMissing(f"Cannot read the passphrase file {file}: {exc.strerror}.",
                                    hint=f"Fix {FILE_ENV} or the file's permissions.") from None
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
