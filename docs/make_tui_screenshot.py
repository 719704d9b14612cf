"""Regenerate ``docs/tui.svg``: the real terminal UI, real bundled models, the sample folder.

    .venv/bin/python docs/make_tui_screenshot.py

Uses a throw-away index in a temporary folder (passphrase not secret: public sample files only).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SAMPLE = DOCS.parent / "examples" / "sample-docs"
QUESTION = "What caused the warehouse outage in April?"
SIZE = (110, 34)


def main() -> None:
    home = tempfile.mkdtemp(prefix="archivist-screenshot-")
    os.environ["ARCHIVIST_HOME"] = home
    os.environ["ARCHIVIST_PASSPHRASE"] = "screenshot-passphrase-not-secret"
    from archivist.offline import enforce_offline

    enforce_offline()
    from archivist.paths import Paths
    from archivist.services import open_services
    from archivist.settings import Settings
    from archivist.tui.app import ArchivistApp
    from archivist.tui.widgets.question import QuestionInput

    paths, settings = Paths.resolve(), Settings.load(None)
    services = open_services(paths, settings)
    services.store.add_folder(SAMPLE)
    services.indexer().index_all()
    services.close()
    app = ArchivistApp(settings, lambda prompt: open_services(paths, settings, prompt=prompt))

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            while app.session is None or app.main.sources_view is None:
                await pilot.pause(0.1)
            box = app.main.query_one(QuestionInput)
            box.value = QUESTION
            await pilot.press("enter")
            deadline = time.monotonic() + 600
            while not app.main.entries or app.main.generating:
                if time.monotonic() > deadline:
                    sys.exit("no answer within 10 minutes")
                await pilot.pause(0.2)
            box.cursor_blink = False
            await pilot.press("f2")
            await pilot.pause(0.5)
            app.save_screenshot(str(DOCS / "tui.svg"))

    try:
        asyncio.run(run())
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"wrote {DOCS / 'tui.svg'}")


if __name__ == "__main__":
    main()
