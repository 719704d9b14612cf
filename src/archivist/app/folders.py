"""Adding and removing folders: the one place that does it, for ``archivist add``/``remove`` and the terminal UI.

A generation being built or ready to promote indexes the same folders as the one that answers, so every change
of the folder list is applied to them too (``index.rebuild.sync_candidates``); forgotten files stay out of a
folder added again (``security.privacy.apply_forgotten``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archivist.app.base import Base
from archivist.errors import FolderNotFound
from archivist.index.generations import Generation
from archivist.index.rows import Folder


@dataclass
class FolderChange:
    """What adding or removing folders did."""

    folders: list[tuple[Folder, bool]] = field(default_factory=list)
    """Each folder with whether it was new (added) or is gone (removed)."""
    files_dropped: int = 0
    synced: list[Generation] = field(default_factory=list)
    """The building or ready generations that were given the same change."""


def existing_folder(given: Path) -> Path:
    """``given`` made absolute, when it is a folder.

    Raises:
        FolderNotFound: it does not exist or is not a folder.
    """
    path = Path(given).expanduser().resolve()
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "does not exist"
        raise FolderNotFound(f"{given} {what}.", hint="Pass the path of an existing folder.")
    return path


class FolderCases(Base):
    def add_folders(self, folders: Sequence[Path], readers: Sequence[str] | None = None) -> FolderChange:
        """Register ``folders`` for ``readers`` (default: this profile); nothing is added unless all exist.

        Raises:
            FolderNotFound: one of them does not exist or is not a folder.
            AccessDenied: one is already added for other profiles only.
        """
        from archivist.security.privacy import apply_forgotten

        paths = [existing_folder(f) for f in folders]
        change = FolderChange([self.store.add_folder(p, list(readers) if readers else None) for p in paths])
        apply_forgotten(self.store, self.state.forgotten())  # forgotten files stay out
        change.synced = self.sync_generations()
        return change

    def remove_folder(self, folder: Path) -> FolderChange:
        """Stop indexing ``folder`` and drop everything indexed from it.

        Raises:
            FolderNotFound: it is not one of this profile's folders.
        """
        path = Path(folder).expanduser().resolve()
        match = next((f for f in self.store.folders() if f.path == path), None)
        if match is None:
            raise FolderNotFound(f"{path} is not an indexed folder.", hint="`archivist status` lists them.")
        dropped = self.store.remove_folder(match)
        return FolderChange([(match, True)], dropped, self.sync_generations())

    def sync_generations(self) -> list[Generation]:
        """Give every building or ready generation this one's folder list and metadata corrections."""
        from archivist.index.rebuild import sync_candidates

        return sync_candidates(self)

    def folder_id(self, folder: Path | None) -> int | None:
        """The id of the added folder ``folder`` (None for None): what ``--folder`` restricts to.

        Raises:
            FolderNotFound: it is not one of this profile's folders.
        """
        if folder is None:
            return None
        path = Path(folder).expanduser().resolve()
        for f in self.store.folders():
            if f.path == path:
                return f.id
        raise FolderNotFound(f"{path} is not an added folder.",
                             hint="`archivist status` lists them; `archivist add` adds one.")
