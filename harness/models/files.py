"""What is wrong with a damaged checkpoint file, in words a user can act on.

transformers, tokenizers and safetensors report a damaged file in their own ways (an
``OSError`` about "a valid JSON file", a bare ``Exception`` from Rust, a
``SafetensorError`` "header too large"), often without naming the file. These checks
read the file the way the libraries will and say which file is wrong and how: cut
short, empty, not UTF-8, not JSON, a directory, unreadable. The loader runs the cheap
ones (``config.json``, safetensors headers) before the libraries, and the others only
to explain a library's failure; a failure they cannot explain keeps its traceback.
"""

from __future__ import annotations

import codecs
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path

from harness.core.errors import CheckpointError

#: JSON files a tokenizer load may read, in the order worth checking.
TOKENIZER_JSON = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.json",
)
#: Keys without which a file is not what its name says (the tokenizers library's format).
REQUIRED_KEYS = {"tokenizer.json": ("model",)}
_MAX_HEADER = 100_000_000  # safetensors refuses a bigger header
_FIX = "copy or save the checkpoint again"


def _read(path: Path) -> tuple[bytes | None, str | None]:
    try:
        return path.read_bytes(), None
    except IsADirectoryError:
        return None, "is a directory, not a file"
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"


def json_problem(path: Path) -> str | None:
    """What is wrong with the checkpoint JSON file ``path`` (None: it is a JSON object)."""
    data, problem = _read(path)
    if data is None:
        return problem
    if not data.strip():
        return "is empty"
    if data.startswith(codecs.BOM_UTF8):
        return (
            "starts with a UTF-8 byte-order mark, which transformers cannot read; "
            "save it without one"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "is UTF-16 text; save it as UTF-8"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"is not UTF-8 text (bad byte at offset {exc.start})"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        # EOF inside a string or where a value should follow: the file was cut short
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "is cut short" if cut else "is not valid JSON"
        return f"{what} ({exc.msg.removesuffix(' at')} at line {exc.lineno} column {exc.colno})"
    if not isinstance(value, dict):
        return f"holds a JSON {type(value).__name__}, not an object"
    missing = [key for key in REQUIRED_KEYS.get(path.name, ()) if key not in value]
    if missing:
        return f"is a JSON object without {', '.join(repr(k) for k in missing)}"
    return None


def safetensors_problem(path: Path) -> str | None:
    """What is wrong with the safetensors file ``path`` (None: its header covers the file).

    Reads only the header, so it is cheap on any size of checkpoint.
    """
    if path.is_dir():
        return "is a directory, not a weights file"
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                return f"is cut short ({size} bytes, less than its 8-byte header size)"
            length = int.from_bytes(head, "little")
            if length > min(size - 8, _MAX_HEADER):
                return (
                    f"is cut short or not safetensors (its header claims {length} bytes; "
                    f"the file has {size})"
                )
            header = handle.read(length)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    try:
        meta = json.loads(header.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "is not a safetensors file (its header is not JSON)"
    if not isinstance(meta, dict):
        return "is not a safetensors file (its header is not a JSON object)"
    end = 0
    for name, entry in meta.items():
        if name == "__metadata__":
            continue
        try:
            end = max(end, int(entry["data_offsets"][1]))
        except (TypeError, KeyError, IndexError, ValueError):
            return f"is not a safetensors file (tensor {name!r} has no data offsets)"
    expected = 8 + length + end
    if size < expected:
        return f"is cut short ({size} of its {expected} bytes)"
    if size > expected:
        return f"has {size - expected} bytes more than its header describes"
    return None


def pickle_problem(path: Path) -> str | None:
    """What is wrong with a ``torch.save`` zip file (None: its archive reads whole)."""
    if path.is_dir():
        return "is a directory, not a weights file"
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile:
        return "is not a PyTorch weights archive (cut short or damaged)"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return f"is damaged (member {bad} fails its checksum)" if bad else None


def readable_problem(path: Path) -> str | None:
    """What keeps the file ``path`` from being read at all (None: it can be read)."""
    _data, problem = _read(path)
    return problem


def first_problem(checks: Iterable[tuple[Path, str | None]]) -> CheckpointError | None:
    """The error for the first (file, problem) with a problem, naming the file and the fix."""
    for path, problem in checks:
        if problem:
            fix = "" if ";" in problem else f"; {_FIX}"  # a problem may carry its own fix
            return CheckpointError(f"checkpoint file {path} {problem}{fix}")
    return None


def check_config(directory: Path) -> None:
    """``config.json`` must be a readable UTF-8 JSON object (checked before transformers)."""
    path = directory / "config.json"
    error = first_problem([(path, json_problem(path))])
    if error:
        raise error


def check_weight_files(paths: Iterable[Path]) -> None:
    """Every safetensors file and index must be whole (headers only: cheap)."""
    error = first_problem(
        (path, json_problem(path) if path.name.endswith(".json") else safetensors_problem(path))
        for path in paths
    )
    if error:
        raise error


def explain_weights(directory: Path) -> CheckpointError | None:
    """Why loading the weights of ``directory`` failed, if a damaged file explains it."""
    checks: list[tuple[Path, str | None]] = []
    for path in sorted(directory.iterdir()):
        if path.name.endswith(".index.json"):
            checks.append((path, json_problem(path)))
        elif path.suffix == ".safetensors":
            checks.append((path, safetensors_problem(path)))
        elif path.suffix == ".bin":
            checks.append((path, pickle_problem(path)))
    return first_problem(checks)


def explain_tokenizer(directory: Path, vocabulary_files: Iterable[str]) -> CheckpointError | None:
    """Why loading the tokenizer of ``directory`` failed, if a damaged file explains it."""
    checks: list[tuple[Path, str | None]] = []
    for name in TOKENIZER_JSON:
        path = directory / name
        if path.exists():
            checks.append((path, json_problem(path)))
    for name in vocabulary_files:
        path = directory / name
        if path.exists() and not name.endswith(".json"):
            checks.append((path, readable_problem(path)))
    return first_problem(checks)
