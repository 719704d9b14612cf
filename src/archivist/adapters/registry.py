"""The adapter registry: ``models/adapters/NAME.gguf`` with a ``NAME.json`` sidecar.

The sidecar says what the adapter is for and how it was made: name, description, base model (name,
sha256, architecture and dimensions), rank, alpha, creation time, the hash of its training data, its
evaluation summary and the style checks the team declared. Sharing an adapter is copying both files.

Whether an adapter fits a model is decided from the two GGUF headers, the way llama.cpp would: same
architecture, and every ``lora_a``/``lora_b`` pair matches the shape of the base weight it modifies.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from archivist.adapters.gguf_header import GGUFHeader, read_header
from archivist.errors import AdapterError
from archivist.hashing import sha256_file
from archivist.storage.private import write_private, write_private_from

PUBLIC = 0o644
"""Adapters and their sidecars are models, not secrets: readable like the bundled ones."""

NONE = "none"
"""The name that means "no adapter" (``archivist adapters use none``)."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_name(name: str) -> str:
    """Return ``name`` if it can name an adapter (a file name without surprises), else raise.

    Raises:
        AdapterError: empty, ``none``, or characters other than letters, digits, ``_ . -``.
    """
    if name.lower() == NONE or not _NAME.match(name):
        raise AdapterError(f"{name!r} cannot name an adapter.",
                           hint="Use letters, digits, '_', '.' or '-' (up to 64), and not 'none'.")
    return name


@dataclass
class AdapterInfo:
    """One registered adapter (the sidecar's content plus where the file is)."""

    name: str
    path: Path
    description: str = ""
    base_model: dict = field(default_factory=dict)
    """``name``, ``sha256``, ``architecture``, ``n_layer``, ``n_embd``, ``n_head``, ``n_head_kv``."""
    rank: int | None = None
    alpha: float | None = None
    target_modules: list[str] = field(default_factory=list)
    created: str = ""
    training: dict = field(default_factory=dict)
    """``data_sha256``, ``examples``, ``held_out``, ``epochs``, ``steps``, ``seconds``, ..."""
    evaluation: dict = field(default_factory=dict)
    """``style_base``, ``style_adapter``, ``supported_base``, ``supported_adapter``, ``promoted``, ..."""
    style_checks: dict = field(default_factory=dict)
    """The format checks the team declared (``archivist.adapters.style.StyleChecks``)."""

    @property
    def sidecar(self) -> Path:
        return self.path.with_suffix(".json")

    def to_json(self) -> dict:
        data = asdict(self)
        data["path"] = str(self.path)
        return data

    @classmethod
    def load(cls, gguf: Path) -> AdapterInfo:
        """The adapter at ``gguf`` with its sidecar (a missing sidecar leaves the fields empty).

        Raises:
            AdapterError: the sidecar is not valid JSON.
        """
        sidecar = gguf.with_suffix(".json")
        data: dict = {}
        if sidecar.is_file():
            try:
                data = json.loads(sidecar.read_text())
            except (OSError, ValueError) as exc:
                raise AdapterError(f"The adapter metadata {sidecar} is unreadable: {exc}.",
                                   hint="Restore the file, or delete it to use the adapter without metadata."
                                   ) from None
        known = {f for f in cls.__dataclass_fields__ if f not in ("name", "path")}
        return cls(name=gguf.stem, path=gguf, **{k: v for k, v in data.items() if k in known})


def fit_problems(adapter: GGUFHeader, base: GGUFHeader) -> list[str]:
    """Why ``adapter`` cannot be applied to ``base`` (empty: it fits)."""
    if adapter.metadata.get("adapter.type") != "lora":
        return ["it is not a LoRA adapter (adapter.type is not 'lora')"]
    if adapter.architecture != base.architecture:
        return [f"it was made for the {adapter.architecture} architecture, the model is {base.architecture}"]
    problems: list[str] = []
    pairs = [n[: -len(".lora_a")] for n in adapter.tensors if n.endswith(".lora_a")]
    if not pairs:
        problems.append("it holds no LoRA tensors")
    for weight in sorted(pairs):
        a, b = adapter.tensors[weight + ".lora_a"], adapter.tensors.get(weight + ".lora_b")
        w = base.tensors.get(weight)
        if w is None:
            problems.append(f"the model has no tensor {weight}")
        elif b is None or len(a) != 2 or len(b) != 2 or a[1] != b[0] or a[0] != w[0] or b[1] != w[1]:
            problems.append(f"{weight} is {w[1]}x{w[0]} in the model but the adapter's is "
                            f"{b[1] if b else '?'}x{a[0]}")
        if len(problems) >= 3:
            break
    return problems


def base_model_info(model: Path, *, with_sha256: bool = True) -> dict:
    """What a sidecar records about the base model an adapter was trained on."""
    header = read_header(model)
    info = {"name": model.name, "architecture": header.architecture,
            "n_layer": header.arch_int("block_count"), "n_embd": header.arch_int("embedding_length"),
            "n_head": header.arch_int("attention.head_count"), "n_head_kv": header.arch_int("attention.head_count_kv")}
    if with_sha256:
        info["sha256"] = sha256_file(model)
    return info


class Registry:
    """The adapters in one folder (``Paths.adapters_dir``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._headers: dict[Path, tuple[float, GGUFHeader]] = {}

    def list(self) -> list[AdapterInfo]:
        """Every ``*.gguf`` in the folder, by name."""
        if not self.folder.is_dir():
            return []
        return [AdapterInfo.load(p) for p in sorted(self.folder.glob("*.gguf"))]

    def names(self) -> list[str]:
        return [a.name for a in self.list()]

    def get(self, name: str) -> AdapterInfo:
        """The adapter called ``name``.

        Raises:
            AdapterError: there is none; the message lists those there are.
        """
        path = self.folder / f"{name}.gguf"
        if _NAME.match(name) and path.is_file():
            return AdapterInfo.load(path)
        names = self.names()
        listed = ", ".join(names) if names else f"none in {self.folder}"
        raise AdapterError(f"There is no adapter called {name!r} (available: {listed}).",
                           hint="`archivist adapters list` shows them; `archivist adapters train` makes one.")

    def header(self, path: Path) -> GGUFHeader:
        """The GGUF header of ``path``, read once per file version."""
        mtime = path.stat().st_mtime
        cached = self._headers.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, read_header(path))
            self._headers[path] = cached
        return cached[1]

    def problems(self, info: AdapterInfo, model: Path) -> list[str]:
        """Why ``info`` does not fit the model at ``model`` (empty: it fits)."""
        return fit_problems(self.header(info.path), self.header(model))

    def compatible(self, model: Path) -> list[str]:
        """Names of the adapters that fit the model at ``model``."""
        out = []
        for info in self.list():
            try:
                if not self.problems(info, model):
                    out.append(info.name)
            except AdapterError:
                continue  # an unreadable adapter fits nothing; `adapters list` says why
        return out

    def check(self, name: str, model: Path) -> AdapterInfo:
        """The adapter ``name``, if it fits the model at ``model``.

        Raises:
            AdapterError: unknown, unreadable, or made for another architecture or size; the message lists
                the adapters that do fit.
        """
        info = self.get(name)
        problems = self.problems(info, model)
        if problems:
            fitting = self.compatible(model)
            raise AdapterError(
                f"Adapter {name!r} does not fit the model {model.name}: {'; '.join(problems)}.",
                hint=(f"Adapters that fit it: {', '.join(fitting)}." if fitting else
                      "No registered adapter fits it; train one with `archivist adapters train`."))
        return info

    def register(self, gguf: Path, info: AdapterInfo, *, replace: bool = False) -> AdapterInfo:
        """Copy the adapter file ``gguf`` into the registry as ``info.name`` with its sidecar.

        Both files are written to temporary names, flushed, then renamed: a crash leaves either the old
        adapter or the new one, never half of one.

        Raises:
            AdapterError: the name is taken (unless ``replace``) or invalid.
        """
        check_name(info.name)
        target = self.folder / f"{info.name}.gguf"
        if target.exists() and not replace:
            raise AdapterError(f"An adapter called {info.name!r} already exists.",
                               hint="Choose another --name, or pass --replace.")
        self.folder.mkdir(parents=True, exist_ok=True)
        created = info.created or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        info = dataclasses.replace(info, path=target, created=created)
        self.write_sidecar(info)  # first: a file without its sidecar is never listed half-described
        with open(gguf, "rb") as src:
            write_private_from(target, lambda dst: shutil.copyfileobj(src, dst, 1 << 20), mode=PUBLIC)
        return info

    def write_sidecar(self, info: AdapterInfo) -> None:
        """Write ``info`` as the sidecar of its file (atomically)."""
        meta = info.to_json()
        del meta["name"], meta["path"]
        write_private(info.sidecar, json.dumps({"name": info.name, **meta}, indent=2, ensure_ascii=False) + "\n",
                      mode=PUBLIC)


# -- the active choice (`archivist adapters use`) ------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """Which adapter answers use, and how strongly (1.0: as trained)."""

    name: str | None = None
    scale: float = 1.0


def _read_choices(file: Path) -> dict:
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data
    except (OSError, ValueError) as exc:
        raise AdapterError(f"The adapter choice {file} is unreadable: {exc}.",
                           hint="Delete it, then run `archivist adapters use NAME` (or `use none`).") from None


def load_choice(file: Path, profile: str = "default") -> Choice:
    """``profile``'s saved choice (no adapter when none was saved): each team profile has its own style.

    Raises:
        AdapterError: the file is not valid JSON.
    """
    entry = _read_choices(file).get(profile) or {}
    try:
        return Choice(entry.get("name") or None, float(entry.get("scale", 1.0)))
    except (AttributeError, TypeError, ValueError):
        raise AdapterError(f"The adapter choice of profile {profile!r} in {file} is invalid.",
                           hint="Run `archivist adapters use NAME` (or `use none`) to rewrite it.") from None


def save_choice(file: Path, choice: Choice, profile: str = "default") -> None:
    """Remember ``choice`` for ``profile``'s later answers (atomically; other profiles' choices are kept)."""
    data = _read_choices(file)
    data[profile] = {"name": choice.name, "scale": choice.scale}
    file.parent.mkdir(parents=True, exist_ok=True)
    write_private(file, json.dumps(data, indent=1) + "\n", mode=PUBLIC)
