"""Training pairs on disk: the JSONL a trainer reads, written atomically, and its hash.

A round's training data is written as a pair file (``prompt``, ``chosen``, ``rejected``,
plus the pair's ``meta`` fields: where it came from), which ``harness.core.data.read_pairs``
reads back and which a user's trainer hook gets as ``{pairs}``. It is written to a
temporary file and renamed into place, so a killed experiment never leaves half a file
that a resumed one would train on.

The *data hash* the experiment log records is over what is trained on, not over the file:
the canonical JSONL of ``(prompt, chosen, rejected)`` (sorted keys, no spaces, UTF-8), so
the same pairs have the same hash whatever their provenance fields or line numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from harness.core.data import PreferencePair
from harness.core.durable import crash_point

__all__ = ["canonical_line", "pairs_hash", "write_pairs"]

_FIELDS = ("prompt", "chosen", "rejected")


def canonical_line(pair: PreferencePair) -> str:
    """One pair as the hash sees it: its three training fields, canonical JSON, one line."""
    row = {"prompt": pair.prompt, "chosen": pair.chosen, "rejected": pair.rejected}
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def pairs_hash(pairs: Iterable[PreferencePair]) -> str:
    """sha256 (hex) of the canonical JSONL of ``pairs``, in order; no pairs hash ``b""``."""
    digest = hashlib.sha256()
    for pair in pairs:
        digest.update((canonical_line(pair) + "\n").encode("utf-8"))
    return digest.hexdigest()


def write_pairs(path: str | Path, pairs: Sequence[PreferencePair]) -> Path:
    """Write ``pairs`` as JSONL at ``path`` atomically (temp file, fsync, rename).

    Refuses no pairs: ``read_pairs`` refuses an empty file, and a round with nothing to
    add must not train on nothing.
    """
    if not pairs:
        raise ValueError(f"no pairs to write to {path}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            for pair in pairs:
                row = {"prompt": pair.prompt, "chosen": pair.chosen, "rejected": pair.rejected}
                for key, value in (pair.meta or {}).items():
                    if key not in _FIELDS:
                        row[key] = value
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        crash_point(f"renamed {path.name} into place")
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
