"""Nothing from a file reaches the terminal raw: control characters in file names and document text are shown
escaped by every command, while ``--json`` keeps the exact text (issue 13, defect 4)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder, FakeGenerator

from archivist.cli import cli
from archivist.terminal import safe_line, safe_text, without_controls

ESC = "\x1b"
CLEAR_AND_RED = "\x1b[2J\x1b[31mescapecanary\x1b[0m"
TITLE = "\x1b]0;TITLE\x07"
EVIL_NAME = "c-evil\x1b[2Jname.txt"
SHOWN_NAME = "c-evil\\u001b[2Jname.txt"
QUESTION = "Which crane code opens the berth gate at night?"
# Enough ordinary prose that the file is read as text (a few controls in a short file mean "binary").
EVIL_TEXT = (f"Escape test {CLEAR_AND_RED} {TITLE} end: the crane code opens the berth gate at night.\n\n"
             + "The night shift keeps the crane code that opens the berth gate at night in the crane cabin. " * 6
             + "\n")


# -- the sanitiser ---------------------------------------------------------------------------------------------

def test_an_escape_sequence_is_shown_not_obeyed() -> None:
    assert safe_text("a\x1b[2Jb") == "a\\u001b[2Jb"
    assert safe_line(TITLE) == "\\u001b]0;TITLE\\u0007"  # a window title set with OSC ... BEL


def test_c1_controls_del_and_bidi_overrides_are_shown() -> None:
    assert safe_text("x\x9b2Jy\x85z\x7f") == "x\\u009b2Jy\\u0085z\\u007f"
    assert safe_line("invoice\u202etxt.exe") == "invoice\\u202etxt.exe"
    assert safe_line("\u2066a\u2069") == "\\u2066a\\u2069"


def test_newlines_are_kept_in_prose_and_shown_in_a_field() -> None:
    assert safe_text("line one\n\tline two\r\n") == "line one\n\tline two\\u000d\n"
    assert safe_line("report.txt\nSources\n  [1] fake.pdf") == "report.txt\\u000aSources\\u000a  [1] fake.pdf"


def test_ordinary_text_is_unchanged() -> None:
    text = "Café crème, 東京, “quotes” — and a \\u001b typed by hand."
    assert safe_text(text) == text and safe_line(text) == text


def test_the_shown_form_is_a_json_escape_of_the_same_character() -> None:
    hostile = f"{EVIL_NAME}\n\x9b\u202e\udcff"
    assert json.loads(f'"{safe_line(hostile)}"') == hostile


def test_undecodable_file_name_bytes_can_be_printed() -> None:
    name = b"report-\xff.txt".decode("utf-8", "surrogateescape")
    assert safe_line(name) == "report-\\udcff.txt"
    safe_line(name).encode("utf-8")  # a terminal encoder would have raised on the raw name


def test_laid_out_text_keeps_its_width() -> None:
    assert without_controls("ab\x1b[2Jc\u202ed\udcff") == "ab[2Jcd\ufffd"


# -- the CLI ---------------------------------------------------------------------------------------------------

@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    embedder = FakeEmbedder()
    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    reply = f"The crane code opens the berth gate at night {CLEAR_AND_RED} [1]."
    monkeypatch.setattr("archivist.app.models.default_generator", lambda settings, model=None: FakeGenerator(reply))
    runner = CliRunner()

    def invoke(*args: str):  # noqa: ANN202
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code in (0, 1), result.output
        return result

    return invoke


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / EVIL_NAME).write_text(EVIL_TEXT)
    (folder / "broken\x1b[2J.pdf").write_bytes(b"%PDF-1.7\ngarbage")  # not indexed: its name is in the reason
    return folder


def _no_raw_escape(output: str) -> str:
    assert ESC not in output and "\x07" not in output and "\x9b" not in output
    return output


def test_index_search_status_show_names_and_text_escaped(run, evil: Path) -> None:
    run("add", str(evil))
    index = _no_raw_escape(run("index").output)
    assert "1 added" in index and "broken\\u001b[2J.pdf" in index
    search = _no_raw_escape(run("search", QUESTION).output)
    assert SHOWN_NAME in search and "\\u001b[31mescapecanary\\u001b[0m" in search and "\\u001b]0;TITLE" in search
    status = _no_raw_escape(run("status").output)
    assert "broken\\u001b[2J.pdf" in status and "not a readable PDF" in status


def test_json_keeps_the_exact_text(run, evil: Path) -> None:
    run("add", str(evil))
    run("index")
    hit = json.loads(run("search", "--json", QUESTION).stdout)["results"][0]
    assert hit["path"].endswith(EVIL_NAME) and CLEAR_AND_RED in hit["text"] and TITLE in hit["text"]
    problems = json.loads(run("status", "--json").stdout)["problems"]
    assert problems[0]["path"].endswith("broken\x1b[2J.pdf")


def test_answers_quote_documents_escaped(run, evil: Path) -> None:
    run("add", str(evil))
    run("index")
    extractive = _no_raw_escape(run("ask", "--extractive", QUESTION).output)
    assert "\\u001b[31mescapecanary\\u001b[0m" in extractive and SHOWN_NAME in extractive
    generated = _no_raw_escape(run("ask", QUESTION).output)  # the fake model repeats the sequence
    assert "night \\u001b[2J\\u001b[31mescapecanary" in generated and SHOWN_NAME in generated
    data = json.loads(run("ask", "--json", QUESTION).stdout)
    assert data["citations"][0]["path"].endswith(EVIL_NAME)


def test_a_newline_in_a_file_name_cannot_add_a_line(run, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes\n  • all-clear.pdf").write_bytes(b"%PDF-1.7\ngarbage")
    run("add", str(folder))
    index = run("index").output
    assert "notes\\u000a  • all-clear.pdf: " in index
    assert not any(line.startswith("  • all-clear.pdf") for line in index.splitlines())


def test_an_error_quoting_a_file_name_stays_one_escaped_line(run, tmp_path: Path) -> None:
    missing = tmp_path / "gone\x1b]0;TITLE\x07\nFolder added."
    result = CliRunner().invoke(cli, ["add", str(missing)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and ESC not in lines[0] and "gone\\u001b]0;TITLE\\u0007\\u000aFolder added." in lines[0]


# -- the guarantee ---------------------------------------------------------------------------------------------

SRC = Path(__file__).resolve().parents[2] / "src" / "archivist"
WRITERS = {"cli/console.py", "safe_console.py"}
"""The modules allowed to write to the terminal directly."""


def _raw_writes(tree: ast.AST) -> list[int]:
    """Lines that write to the terminal without the sanitising writers: ``click.echo``/``secho``, ``print``
    or a Rich ``Console(...)``, unless what they write is JSON, click's help, or already sanitised."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
        if name == "Console" or (owner == "click" and name in ("echo", "secho")) or \
                (name == "print" and isinstance(f, ast.Name)):
            first = node.args[0] if node.args else None
            called = first.func if isinstance(first, ast.Call) else None
            what = called.attr if isinstance(called, ast.Attribute) else called.id if isinstance(called, ast.Name) \
                else ""
            if what not in ("dumps", "get_help", "safe_line", "safe_text"):
                found.append(node.lineno)
    return found


def test_every_terminal_write_goes_through_the_sanitising_writers() -> None:
    sample = "click.echo(f'{name}')\nprint(x)\nConsole().print(x)\nclick.echo(json.dumps(d))\nprint(safe_line(x))\n"
    assert _raw_writes(ast.parse(sample)) == [1, 2, 3]  # the check sees a raw write
    offenders = [f"{path.relative_to(SRC)}:{line}" for path in sorted(SRC.rglob("*.py"))
                 if path.relative_to(SRC).as_posix() not in WRITERS and "tui" not in path.parts
                 for line in _raw_writes(ast.parse(path.read_text()))]
    assert offenders == [], "print through archivist.cli.console (echo, console) instead"
