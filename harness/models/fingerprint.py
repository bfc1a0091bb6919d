"""A stable checkpoint fingerprint: the cache key and the identity recorded by every run.

It hashes the bytes of the files that decide a score (config, weights, tokenizer, chat
template) plus the scoring options (format, head). Names and modification times are not
hashed, so a copied checkpoint keeps its fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from harness.core.errors import CheckpointError

SCORE_FILES = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "tokenizer.model",
    "spiece.model",
    "sentencepiece.bpe.model",
    "added_tokens.json",
    "chat_template.jinja",
    "chat_template.json",
)
WEIGHT_SUFFIXES = (".safetensors", ".bin")

_CHUNK = 1 << 20


def _hash_file(digest: Any, path: Path) -> None:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise CheckpointError(
            f"checkpoint file {path} cannot be read ({exc.strerror or exc}); "
            "copy or save the checkpoint again"
        ) from None


def checkpoint_files(directory: Path) -> list[Path]:
    """The files that decide scores, in a fixed order."""
    files = [directory / name for name in SCORE_FILES if (directory / name).is_file()]
    weights = sorted(p for p in directory.iterdir() if p.suffix in WEIGHT_SUFFIXES)
    return files + weights


def fingerprint_checkpoint(
    directory: Path, options: dict[str, Any], tokenizer_dir: Path | None = None
) -> str:
    """sha256 over score-deciding files and options; 16 hex chars are shown, 64 kept."""
    digest = hashlib.sha256()
    paths = checkpoint_files(directory)
    if tokenizer_dir is not None and tokenizer_dir != directory:
        paths += [tokenizer_dir / n for n in SCORE_FILES if (tokenizer_dir / n).is_file()]
    for path in paths:
        digest.update(path.name.encode())
        digest.update(b"\0")
        _hash_file(digest, path)
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    return digest.hexdigest()
