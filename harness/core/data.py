"""Reading pair files: JSONL rows of prompt/response or prompt/chosen/rejected.

Every problem is a ``DataError`` naming the file, the line and the fix, so the CLI can
print one line. An empty response is valid (it is scored: a reward model must rank an
empty answer too); an empty file, a missing field or a non-string field is not.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.core.errors import DataError

Kind = Literal["responses", "pairs"]


@dataclass(frozen=True)
class ResponseRow:
    """One response to score."""

    prompt: str
    response: str
    line: int


@dataclass(frozen=True)
class PreferencePair:
    """A preference pair: ``chosen`` is the reference response for ``prompt``."""

    prompt: str
    chosen: str
    rejected: str
    line: int
    meta: dict[str, str] | None = None


def read_json_lines(path: Path) -> list[tuple[int, dict]]:
    """The file's JSON objects with their line numbers, blank lines skipped.

    Public because every JSONL input (pairs, responses, sampled responses, gold scores)
    should fail the same way: one ``DataError`` naming the file, the line and the fix for a
    missing file, a directory, UTF-16 or invalid UTF-8, malformed JSON, a row that is no
    object, or an empty file.
    """
    if not path.exists():
        raise DataError(f"data file {path} does not exist")
    if path.is_dir():
        raise DataError(f"{path} is a directory; give a .jsonl file")
    rows = []
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise DataError(f"cannot read data file {path}: {exc.strerror or exc}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise DataError(f"{path} is UTF-16 text; re-save the file as UTF-8")
            try:
                # a UTF-8 byte-order mark (and CRLF line ends) are harmless: accepted
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"{path}:{number}: not valid UTF-8 (byte {exc.start}); "
                    "re-save the file as UTF-8"
                ) from None
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{path}:{number}: malformed JSON ({exc.msg} at column {exc.colno}); "
                    "each line must be one JSON object"
                ) from None
            if not isinstance(row, dict):
                raise DataError(
                    f"{path}:{number}: expected a JSON object, got {type(row).__name__}"
                )
            rows.append((number, row))
    if not rows:
        raise DataError(
            f"{path} is empty; it needs JSONL rows with prompt and response, "
            "or prompt, chosen and rejected"
        )
    return rows


def string_field(path: Path, number: int, row: dict, name: str) -> str:
    """``row[name]``, which must be a string; else a ``DataError`` naming file and line."""
    if name not in row:
        raise DataError(
            f"{path}:{number}: missing field {name!r} (fields: {', '.join(row) or 'none'})"
        )
    value = row[name]
    if not isinstance(value, str):
        raise DataError(
            f"{path}:{number}: field {name!r} must be a string, got {type(value).__name__}"
        )
    return value


def detect_kind(row: dict) -> Kind:
    return "pairs" if "chosen" in row or "rejected" in row else "responses"


def read_rows(path: str | Path) -> tuple[Kind, list[ResponseRow] | list[PreferencePair]]:
    """Read a file whose kind is set by its first row (pairs if it has chosen/rejected)."""
    path = Path(path)
    rows = read_json_lines(path)
    kind = detect_kind(rows[0][1])
    if kind == "pairs":
        return kind, [_pair(path, n, r) for n, r in rows]
    return kind, [
        ResponseRow(string_field(path, n, r, "prompt"), string_field(path, n, r, "response"), n)
        for n, r in rows
    ]


def _pair(path: Path, number: int, row: dict) -> PreferencePair:
    meta = {k: v for k, v in row.items() if k not in ("prompt", "chosen", "rejected")}
    return PreferencePair(
        prompt=string_field(path, number, row, "prompt"),
        chosen=string_field(path, number, row, "chosen"),
        rejected=string_field(path, number, row, "rejected"),
        line=number,
        meta={k: str(v) for k, v in meta.items()} or None,
    )


def read_pairs(path: str | Path) -> list[PreferencePair]:
    """Read a preference file; every row needs prompt, chosen and rejected."""
    path = Path(path)
    return [_pair(path, n, r) for n, r in read_json_lines(path)]
