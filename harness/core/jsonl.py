"""Writing a JSONL file whole or not at all.

Sampled responses take minutes to make and are read by other verbs (``rmh sweep``), so a
reader must never find half a file: the rows are written with ``harness.core.atomic``'s
``write_atomic`` (a temporary file beside the target, fsync'd and renamed into place). A
killed writer leaves the target as it was (absent, or the previous complete file).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harness.core.atomic import write_atomic
from harness.core.errors import HarnessError


def write_jsonl_atomic(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write ``rows`` (one JSON object a line, UTF-8) to ``path`` atomically; the row count."""
    path = Path(path)
    if path.is_dir():
        raise HarnessError(f"{path} is a directory; give a file name for the samples")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"cannot write {path}: {exc.strerror or exc}") from None
    count = 0

    def lines() -> Iterator[str]:
        nonlocal count
        for row in rows:
            yield json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n"
            count += 1

    write_atomic(path, lines())
    return count
