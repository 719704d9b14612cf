"""Training examples: chat-format JSON Lines, from a team's example file or from rated answers.

Every example is ``{"messages": [system, user, assistant]}`` where the user turn is exactly what Archivist
sends when answering (``answer.prompt.build_prompt``: numbered passages, then the question). The passages
stay in the prompt, so an adapter learns to answer *from context* in the team's style instead of
memorising facts.

An example file may also hold the compact form ``{"question", "passages": [{"path", "page", "lines",
"text"}], "answer"}``, turned into the chat form on reading. Files written by ``write_examples`` with a
passphrase are encrypted (``security.crypto``) and read back transparently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from archivist.answer.prompt import build_prompt
from archivist.errors import ConfigError
from archivist.index.store import ChunkRow
from archivist.retrieve.hybrid import Hit
from archivist.security import crypto
from archivist.storage.private import write_private

Example = dict


class _Unbounded:
    """Token counting for prompts rebuilt from stored passages: every passage was already within the
    budget when it was answered, so keep them all (the trainer truncates to its own limit)."""

    id = "dataset"
    n_ctx = 1 << 30

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def _hit(n: int, path: str, text: str, page: int | None = None, line_start: int | None = None,
         line_end: int | None = None, heading: str = "") -> Hit:
    chunk = ChunkRow(id=n, file_id=0, path=Path(path), folder_id=0, text=text, prefix="", page=page,
                     line_start=line_start, line_end=line_end, heading=heading, kind=None)
    return Hit(chunk, 0.0, 0.0, 0.0)


def chat_example(question: str, passages: list[dict], answer: str) -> Example:
    """One example in chat form, its user turn built by the answering prompt builder.

    Args:
        passages: ``{"path", "text"}`` and optionally ``page``, ``lines`` ([start, end]) or ``line_start``
            / ``line_end``, in the order the answer's ``[n]`` markers number them.
    """
    hits = []
    for i, p in enumerate(passages, start=1):
        lines = p.get("lines") or [p.get("line_start"), p.get("line_end")]
        hits.append(_hit(i, str(p["path"]), str(p["text"]), p.get("page"), lines[0], lines[-1],
                         p.get("heading", "")))
    prompt = build_prompt(question, hits, _Unbounded(), context_tokens=1 << 30, answer_tokens=0)
    return {"messages": [*prompt.messages, {"role": "assistant", "content": answer.strip()}]}


def _normalise(record: dict, where: str) -> Example:
    if "messages" in record:
        messages = record["messages"]
        if (not isinstance(messages, list) or not messages or messages[-1].get("role") != "assistant"
                or not all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages)):
            raise ConfigError(f"{where}: `messages` must be a list of {{role, content}} ending with the "
                              "assistant's answer.", hint="See examples/adapters/ for the format.")
        return {"messages": [{"role": m["role"], "content": m["content"]} for m in messages]}
    if {"question", "answer"} <= record.keys():
        return chat_example(record["question"], record.get("passages", []), record["answer"])
    raise ConfigError(f"{where}: an example needs `messages`, or `question`, `passages` and `answer`.",
                      hint="See examples/adapters/ for the format.")


def parse_examples(text: str, source: str = "examples") -> list[Example]:
    """Examples from JSON Lines text (blank lines and lines starting with ``//`` are skipped).

    Raises:
        ConfigError: a line is not JSON or not an example (the message names the line).
    """
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"{source}, line {n} is not JSON: {exc}.", hint="One JSON object per line.") from None
        if not isinstance(record, dict):
            raise ConfigError(f"{source}, line {n} is not a JSON object.", hint="One JSON object per line.")
        out.append(_normalise(record, f"{source}, line {n}"))
    return out


def load_examples(path: Path, passphrase: Callable[[], str] | None = None) -> list[Example]:
    """Read an example file, decrypting it first when it is an encrypted export.

    Args:
        passphrase: called only for an encrypted file.

    Raises:
        ConfigError: missing, unreadable, empty, or a bad line.
        WrongPassphrase: an encrypted file the passphrase does not open.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the examples {path}: {exc.strerror}.", hint="Check --data.") from None
    if crypto.is_encrypted(data):
        if passphrase is None:
            raise ConfigError(f"{path} is encrypted.", hint="Set ARCHIVIST_PASSPHRASE to the index passphrase.")
        data = crypto.decrypt(data, passphrase())
    examples = parse_examples(data.decode("utf-8", errors="replace"), path.name)
    if not examples:
        raise ConfigError(f"{path} holds no examples.", hint="Write one JSON object per line.")
    return examples


def to_jsonl(examples: Iterable[Example]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in examples)


def data_sha256(examples: Iterable[Example]) -> str:
    """A hash of the examples' content (the same examples give the same hash, encrypted or not)."""
    return hashlib.sha256(to_jsonl(examples).encode("utf-8")).hexdigest()


def split_held_out(examples: list[Example], fraction: float) -> tuple[list[Example], list[Example]]:
    """(training, held out): a stable share chosen by each example's hash, at least one of each when there
    are two or more examples. The same file always gives the same split."""
    if len(examples) < 2 or fraction <= 0:
        return list(examples), []
    keyed = sorted(examples, key=lambda e: hashlib.sha256(to_jsonl([e]).encode()).hexdigest())
    n = min(len(examples) - 1, max(1, round(len(examples) * fraction)))
    held = keyed[:n]
    held_ids = {id(e) for e in held}
    return [e for e in examples if id(e) not in held_ids], held


def write_examples(path: Path, examples: list[Example], passphrase: str | None) -> None:
    """Write ``examples`` as JSON Lines, encrypted unless ``passphrase`` is None; 0600, atomically."""
    data = to_jsonl(examples).encode("utf-8")
    if passphrase is not None:
        data = crypto.encrypt(data, passphrase)
    write_private(path, data)


# -- feedback -> examples ------------------------------------------------------------------------------------

def feedback_examples(rows: Iterable, *, include_bad: bool = False) -> tuple[list[Example], int]:
    """Examples from stored ratings (``StateStore.feedback()`` rows): the assistant turn is the correction
    when there is one, else the answer rated good. Bad answers without a correction teach nothing and are
    skipped, as are extractive quotes (the model did not write them).

    Returns:
        The examples and how many ratings were skipped.
    """
    out: list[Example] = []
    skipped = 0
    for row in rows:
        try:
            answer = json.loads(row.answer_json)
        except ValueError:
            skipped += 1
            continue
        if row.correction:
            target = row.correction
        elif row.rating == "good" and answer.get("mode") != "extractive" or include_bad:
            target = answer.get("answer", "")
        else:
            skipped += 1
            continue
        passages = [{"path": c.get("path", ""), "text": c.get("text", ""), "page": c.get("page"),
                     "line_start": c.get("line_start"), "line_end": c.get("line_end"),
                     "heading": c.get("heading", "")} for c in sorted(answer.get("citations", []),
                                                                        key=lambda c: c.get("n", 0))]
        out.append(chat_example(row.question, passages, target))
    return out, skipped
