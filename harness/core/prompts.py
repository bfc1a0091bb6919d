"""Reading a prompts file: JSONL rows with a ``prompt`` field, or one prompt per plain line.

Sampling needs prompts only, and the files a team has at hand are either preference or
response JSONL (``prompt`` beside other fields) or a plain list of questions. The first
non-blank line decides: a line starting with ``{`` means JSONL, where every row must be a
JSON object with a string ``prompt``; anything else means plain text, one prompt a line.
A prompt that repeats is kept once (in order of first appearance): a preference file
names each prompt once per pair, and sampling it twice would only double its weight.
Every problem is a ``DataError`` naming the file and the line, so the CLI prints one line.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

from harness.core.errors import DataError


def _text_lines(path: Path) -> list[tuple[int, str]]:
    """The file's non-blank lines (numbered from 1), decoded as UTF-8."""
    if not path.exists():
        raise DataError(f"prompts file {path} does not exist")
    if path.is_dir():
        raise DataError(f"{path} is a directory; give a .jsonl or .txt file of prompts")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read prompts file {path}: {exc.strerror or exc}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(f"{path} is UTF-16 text; re-save the file as UTF-8")
    lines = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            # a UTF-8 byte-order mark (and CRLF line ends) are harmless: accepted
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}:{number}: not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8"
            ) from None
        if text.strip():
            lines.append((number, text))
    return lines


def _jsonl_prompt(path: Path, number: int, text: str) -> str:
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path}:{number}: malformed JSON ({exc.msg} at column {exc.colno}); "
            "each line of a JSONL prompts file must be one JSON object"
        ) from None
    if not isinstance(row, dict):
        raise DataError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
    if "prompt" not in row:
        raise DataError(
            f"{path}:{number}: missing field 'prompt' (fields: {', '.join(row) or 'none'})"
        )
    prompt = row["prompt"]
    if not isinstance(prompt, str):
        raise DataError(
            f"{path}:{number}: field 'prompt' must be a string, got {type(prompt).__name__}"
        )
    if not prompt.strip():
        raise DataError(f"{path}:{number}: the prompt is empty")
    return prompt


def read_prompts(path: str | Path) -> list[str]:
    """The distinct prompts of ``path``, in order of first appearance (see the module doc)."""
    path = Path(path)
    lines = _text_lines(path)
    if not lines:
        raise DataError(
            f"{path} has no prompts; give JSONL rows with a 'prompt' field, or one prompt per line"
        )
    if lines[0][1].lstrip().startswith("{"):
        prompts = [_jsonl_prompt(path, number, text) for number, text in lines]
    else:
        prompts = [text.strip() for _, text in lines]
    return list(dict.fromkeys(prompts))
