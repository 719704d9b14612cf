"""A GGUF header reader: metadata and tensor shapes, enough to tell whether an adapter fits a model.

Reading only the header keeps ``archivist adapters list`` fast and free of llama.cpp and of the optional
``gguf`` package. Format: magic ``GGUF``, version (2 or 3), tensor count, metadata count, then typed
key/value pairs, then one (name, dims, type, offset) record per tensor. Dimensions are in ggml order
(``ne0`` first: a ``W`` of shape out x in in numpy is ``[in, out]`` here).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archivist.errors import AdapterError

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class GGUFHeader:
    """What a GGUF file says about itself."""

    path: Path
    metadata: dict[str, object]
    """Scalars and strings; arrays longer than 64 items (vocabularies) are replaced by their length."""
    tensors: dict[str, tuple[int, ...]]
    """Tensor name -> dimensions in ggml order (ne0 first)."""

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "?"))

    def arch_int(self, key: str) -> int | None:
        """``{architecture}.{key}`` as an int (``block_count``, ``embedding_length``, ...), None if absent."""
        value = self.metadata.get(f"{self.architecture}.{key}")
        return int(value) if isinstance(value, int | float) else None


def _read(fh: BinaryIO, n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise EOFError
    return data


def _string(fh: BinaryIO) -> str:
    (n,) = struct.unpack("<Q", _read(fh, 8))
    return _read(fh, n).decode("utf-8", errors="replace")


def _value(fh: BinaryIO, kind: int) -> object:
    if kind in _SCALARS:
        fmt = _SCALARS[kind]
        return struct.unpack(fmt, _read(fh, struct.calcsize(fmt)))[0]
    if kind == _STRING:
        return _string(fh)
    if kind == _ARRAY:
        (item_kind,) = struct.unpack("<I", _read(fh, 4))
        (n,) = struct.unpack("<Q", _read(fh, 8))
        if item_kind in _SCALARS and n > 64:  # skip big numeric arrays in one seek
            fh.seek(n * struct.calcsize(_SCALARS[item_kind]), 1)
            return n
        items = [_value(fh, item_kind) for _ in range(n)]
        return items if n <= 64 else n
    raise ValueError(f"unknown GGUF value type {kind}")


def read_header(path: Path) -> GGUFHeader:
    """Read the metadata and tensor shapes of the GGUF file at ``path``.

    Raises:
        AdapterError: the file is missing, unreadable, truncated, or not GGUF.
    """
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"GGUF":
                raise AdapterError(f"{path} is not a GGUF file.", hint="Adapters are llama.cpp GGUF LoRA files.")
            version, n_tensors, n_kv = struct.unpack("<IQQ", _read(fh, 20))
            if version < 2:
                raise AdapterError(f"{path} is GGUF version {version}, too old.", hint="Convert it again.")
            metadata: dict[str, object] = {}
            for _ in range(n_kv):
                key = _string(fh)
                (kind,) = struct.unpack("<I", _read(fh, 4))
                metadata[key] = _value(fh, kind)
            tensors: dict[str, tuple[int, ...]] = {}
            for _ in range(n_tensors):
                name = _string(fh)
                (n_dims,) = struct.unpack("<I", _read(fh, 4))
                dims = struct.unpack(f"<{n_dims}Q", _read(fh, 8 * n_dims))
                _read(fh, 12)  # type (u32) and offset (u64)
                tensors[name] = tuple(int(d) for d in dims)
    except FileNotFoundError:
        raise AdapterError(f"{path} does not exist.", hint="`archivist adapters list` shows the adapters.") from None
    except OSError as exc:
        raise AdapterError(f"Cannot read {path}: {exc.strerror}.", hint="Check the file's permissions.") from None
    except (EOFError, ValueError, struct.error):
        raise AdapterError(f"{path} is truncated or not a valid GGUF file.", hint="Copy or convert it again.") from None
    return GGUFHeader(path, metadata, tensors)
