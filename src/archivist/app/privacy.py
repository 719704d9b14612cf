"""Forgetting, the audit trail and changing the passphrase (``security.privacy`` does the work)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from archivist.app.base import Base
from archivist.paths import Paths
from archivist.security.privacy import ForgetReport
from archivist.storage.state import AUDIT_READ_ALL, AuditEntry, AuditProblem


class PrivacyCases(Base):
    def forget(self, path: Path, *, allow_reindex: bool = False) -> ForgetReport:
        """Remove ``path`` (a file or folder) from every generation and the history that quotes it, for good.

        Raises:
            FolderNotFound, AccessDenied, IndexBusy: see ``security.privacy.forget``.
        """
        from archivist.security.privacy import forget

        return forget(self.store, self.state, self.paths, self.open_store, path, allow_reindex=allow_reindex)

    def audit_entries(self, limit: int | None = None, *, all_profiles: bool = False) -> list[AuditEntry]:
        """This profile's last audit entries (with every read of all profiles' entries); ``all_profiles``: every
        profile's, and that read is recorded first, so it is listed in its own output too."""
        if all_profiles:
            self.audit(AUDIT_READ_ALL, detail=f"audit show --all-profiles --last {limit}")
        return self.state.audit_entries(limit, profile=None if all_profiles else self.profile)

    def verify_audit(self) -> tuple[list[AuditProblem], int]:
        """The problems of the audit chain (none: intact) and how many entries it holds."""
        return self.state.verify_audit(), len(self.state.audit_entries())


def change_passphrase(paths: Paths, old: str, new: str | None, *,
                      key_file: Path | None = None) -> tuple[list[Path], str]:
    """Re-key every encrypted file from ``old`` to ``new``, or to a random key written first to ``key_file``.

    Returns the files re-keyed and the new key.

    Raises:
        WrongPassphrase: ``old`` does not open a file (nothing changed).
        IndexBusy: another process writes the index.
        ArchivistError: the key file cannot be written (nothing changed).
    """
    from archivist.security.privacy import rekey, write_key_file

    if key_file is not None:
        new = secrets.token_urlsafe(48)
        write_key_file(Path(os.path.abspath(key_file.expanduser())), new)  # durable before any file is re-keyed
    assert new
    return rekey(paths, old, new), new
