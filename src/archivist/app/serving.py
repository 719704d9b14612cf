"""Answering commands from the watch daemon (warm): each request runs under the profile its command runs as, in a
workspace view of that profile that stays open between requests (index, state file and models loaded once).

The daemon opens the index for every profile to keep every folder fresh; it never answers through that. A request
names its profile (``--profile`` or ``ARCHIVIST_PROFILE``, else the config's), and is answered by that profile's own
``Workspace``, whose store enforces the profile in the SQL of every read, exactly as in-process.

The key: the daemon holds it, but a request must present the passphrase, from the same sources the command would
use in-process (``ARCHIVIST_PASSPHRASE``, the passphrase file, or typed). It is compared in constant time with
the one the daemon holds; a wrong one is not told apart from a refusal (the command then runs in-process, where
the key derivation reports it), after ``WRONG_DELAY`` seconds, one at a time, so the socket is no quicker to guess
against than the encrypted files themselves (README, "How the daemon gets the key").

A request is answered only when the command in-process would see what the daemon sees: the same folders
(``Paths``) and the same ``ARCHIVIST_*`` settings in its environment; otherwise the daemon declines and the
command runs in-process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping

from archivist.app.workspace import Workspace
from archivist.errors import ArchivistError
from archivist.index.generations import current_database
from archivist.paths import Paths
from archivist.settings import Settings
from archivist.watch.service import paths_json, settings_environment

WRONG_DELAY = 1.0
"""Seconds a request with a wrong passphrase waits, one at a time (opening the index with one costs ~0.15 s of
key derivation, so guessing through the socket is slower than guessing against a copy of the files)."""
Send = Callable[[dict], None]
Command = Callable[[Workspace, dict, Send], dict]
"""Runs one command in a profile's workspace: ``run(ws, args, send)`` may send events (tokens) and returns what
the final ``done`` event carries (the output)."""


class Unserved(Exception):
    """The daemon declines a request; the command runs in-process (with this as its note unless ``quiet``)."""

    def __init__(self, reason: str, *, quiet: bool = False) -> None:
        super().__init__(reason)
        self.quiet = quiet


def _digest(passphrase: str) -> bytes:
    return hashlib.sha256(passphrase.encode()).digest()


class Views:
    """The daemon's open workspaces, one per profile that asked, opened on first use with the daemon's key.

    Requests run one at a time (``lock``): a view's connections and models are used by one thread at once, and a
    request waiting longer than its command allows times out and runs in-process instead."""

    def __init__(self, paths: Paths, passphrase: str, open_view: Callable[[Settings], Workspace], *,
                 environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self.paths = paths
        self.open_view = open_view
        self._key = _digest(passphrase)
        self._environment = settings_environment(environ)
        self._profile = environ.get("ARCHIVIST_PROFILE")
        self._views: dict[str, Workspace] = {}
        self.lock = threading.Lock()
        self._wrong = threading.Lock()
        self.log = logging.getLogger("archivist.watch")

    def serve(self, request: dict, send: Send, commands: Mapping[str, Command]) -> None:
        """Answer ``request`` with ``commands[request["command"]]`` in its profile's view, ending with one final
        event: ``done`` (the output), ``error`` (a user error, shown as in-process) or ``unserved``."""
        try:
            run = commands.get(str(request.get("command")))
            if run is None:
                raise Unserved("the watch daemon does not answer this command")
            settings = self.admit(request)
            with self.lock:
                final = run(self.view(settings), dict(request.get("args") or {}), send)
            send({"event": "done", **final})
        except Unserved as exc:
            send({"event": "unserved", "reason": str(exc), "quiet": exc.quiet})
        except ArchivistError as exc:
            send({"event": "error", "title": exc.title, "message": exc.message, "hint": exc.hint})
        except OSError:
            raise  # the client left: nothing to tell it (the server logs it)
        except Exception as exc:  # noqa: BLE001 - a bug must not kill the daemon; the command shows it in-process
            # Logged by type only: the daemon's log never holds text that may quote a document.
            self.log.error("a request failed: %s", type(exc).__name__)
            send({"event": "unserved", "reason": f"the watch daemon failed ({type(exc).__name__})"})

    def admit(self, request: dict) -> Settings:
        """The settings ``request`` runs with, once it has shown the passphrase and sees what the daemon sees.

        Raises:
            Unserved: another data folder, other settings in its environment, or a passphrase that is not the
                daemon's (quietly: in-process, the key derivation says so).
            ConfigError: the config or the requested profile is invalid (as in-process).
        """
        if request.get("paths") != paths_json(self.paths):
            raise Unserved("the watch daemon serves other Archivist folders")
        given = request.get("passphrase")
        if not isinstance(given, str) or not hmac.compare_digest(_digest(given), self._key):
            with self._wrong:
                time.sleep(WRONG_DELAY)
            raise Unserved("passphrase refused", quiet=True)
        if request.get("env") != self._environment:
            raise Unserved("the watch daemon runs with other ARCHIVIST_* settings")
        profile = request.get("profile")
        if profile is None and self._profile is not None:
            raise Unserved("the watch daemon was started with ARCHIVIST_PROFILE set")
        return Settings.load(self.paths.config_file, profile=profile)

    def view(self, settings: Settings) -> Workspace:
        """The open workspace of ``settings.profile``, brought up to date: the generation that answers now, and
        the settings as config.toml says now (both as a command in-process would see them)."""
        ws = self._views.get(settings.profile)
        if ws is None:
            ws = self._views[settings.profile] = self.open_view(settings)
            ws.hold_vectors()  # it answers every request of this profile from now on
            return ws
        if ws.store.path != current_database(self.paths):
            ws.switch_generation()
        if ws.settings != settings:
            ws.reload_settings(settings)
        return ws

    def close(self) -> None:
        with self.lock:
            for ws in self._views.values():
                ws.close()
            self._views.clear()

    def warm(self) -> None:
        """Open the view of the profile most requests run as and load its embedder, so that the first search
        after the daemon starts is warm too. A failure is left for the first request to report."""
        try:
            settings = Settings.load(self.paths.config_file, profile=self._profile)
            with self.lock:
                ws = self.view(settings)
                ws.embedder().embed_batch(["warm"])
                ws.load_vectors()
                ws.answerer()
        except ArchivistError as exc:
            self.log.info("no warm-up: %s", exc.title)


def start_service(paths: Paths, passphrase: str, commands: Mapping[str, Command]) -> Callable[[], None]:
    """Answer ``commands`` on ``paths.service_socket`` (``watch.service``) in per-profile views, warmed in the
    background; returns what stops it."""
    from archivist.app.workspace import open_workspace
    from archivist.watch.service import Server

    views = Views(paths, passphrase, lambda settings: open_workspace(paths, settings, passphrase=passphrase))
    server = Server(paths.service_socket, lambda request, send: views.serve(request, send, commands))
    paths.ensure_private(paths.runtime_dir)
    server.start()
    threading.Thread(target=views.warm, name="archivist-warm-up", daemon=True).start()

    def stop() -> None:
        server.stop()
        views.close()

    return stop
