"""Writing a JSONL file whole or not at all.

Sampled responses take minutes to make and are read by other verbs (``rmh sweep``), so a
reader must never find half a file: the rows go to a hidden temporary file beside the
target, which is flushed, fsync'd and renamed into place. A killed writer leaves the
target as it was (absent, or the previous complete file).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.core.durable import crash_point
from harness.core.errors import HarnessError


def write_jsonl_atomic(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write ``rows`` (one JSON object a line, UTF-8) to ``path`` atomically; the row count."""
    path = Path(path)
    if path.is_dir():
        raise HarnessError(f"{path} is a directory; give a file name for the samples")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise HarnessError(f"cannot write {path}: {exc.strerror or exc}") from None
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
                count += 1
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it private; the file is for every reader
        os.replace(temp, path)
        crash_point(f"renamed {path.name} into place")
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise HarnessError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count
