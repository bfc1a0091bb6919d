"""Damaged copies of good input files, for tests that every corrupt input is a one-line error.

Each function damages the file at ``path`` in place, the way a disk, a kill, an editor or
a careless copy would: cut short, emptied, overwritten with noise, replaced by JSON of
another shape, re-saved in another encoding, deleted, made unreadable, replaced by a
directory. ``add_bom_crlf`` is the odd one out: it makes a file that is still perfectly
usable (a UTF-8 byte-order mark and Windows line ends), which a reader must accept.

``KINDS`` names one standard variant of each damage, so a test can parametrize over
``(file, kind)`` and be sure every kind is covered; ``apply(path, kind)`` applies one.
Functions take explicit arguments (a cut point, the noise bytes) for property tests that
generate them.

Example::

    target = shutil.copytree(good_checkpoint, tmp_path / "ckpt")
    apply(target / "config.json", "truncate-half")
    code, out, err = rmh("info", str(target))   # must be exit 2 and one line naming config.json
"""

from __future__ import annotations

import json
import os
import random
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Valid JSON that is not what any input of the harness expects.
WRONG_SHAPES: tuple[Any, ...] = ([1, 2, 3], {"unexpected": [True, None]}, "text", None, 42)


def truncate(path: str | Path, at: int | float) -> None:
    """Cut the file at byte ``at`` (an int), or at that fraction of its size (a float)."""
    path = Path(path)
    data = path.read_bytes()
    cut = int(len(data) * at) if isinstance(at, float) else at
    path.write_bytes(data[: max(0, min(cut, len(data)))])


def empty(path: str | Path) -> None:
    """Leave the file in place with no bytes in it."""
    Path(path).write_bytes(b"")


def random_bytes(path: str | Path, data: bytes | None = None, *, seed: int = 0) -> None:
    """Replace the contents by ``data``, or by as many seeded random bytes as it had."""
    path = Path(path)
    if data is None:
        rng = random.Random(seed)
        data = bytes(rng.randrange(256) for _ in range(max(64, min(path.stat().st_size, 4096))))
    path.write_bytes(data)


def wrong_shape_json(path: str | Path, value: Any = WRONG_SHAPES[0]) -> None:
    """Replace the contents by valid JSON of the wrong shape (a list, a stranger object...)."""
    Path(path).write_text(json.dumps(value) + "\n", encoding="utf-8")


def reencode(path: str | Path, encoding: str) -> None:
    """Re-save a UTF-8 text file in ``encoding`` (``utf-16``, ``latin-1``).

    So that Latin-1 really differs from UTF-8, a pure-ASCII text gets one accented word
    added where it stays valid: in the first JSON string value, or on a TOML comment line.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if encoding.replace("-", "").lower() in ("latin1", "iso88591") and text.isascii():
        text = _with_accent(path, text)
    path.write_bytes(text.encode(encoding, errors="replace"))


def _with_accent(path: Path, text: str) -> str:
    if path.suffix == ".toml":
        return "# café\n" + text
    quote = text.find('": "')
    if quote >= 0:
        at = quote + len('": "')
        return text[:at] + "café " + text[at:]
    return text + "\ncafé\n"


def delete(path: str | Path) -> None:
    """Remove the file."""
    Path(path).unlink()


def unreadable(path: str | Path) -> None:
    """Take every permission away (meaningless for root, who reads anyway)."""
    os.chmod(path, 0)


def replace_by_dir(path: str | Path) -> None:
    """Put an empty directory where the file was."""
    path = Path(path)
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    path.mkdir()


def add_bom_crlf(path: str | Path) -> None:
    """Re-save a text file with a UTF-8 byte-order mark and CRLF line ends (still usable)."""
    path = Path(path)
    text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").split("\n")
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))


def copy_to_damage(source: str | Path, target: str | Path, name: str) -> Path:
    """A cheap copy of the folder ``source`` in which only the file ``name`` may be damaged.

    Every other file is a symlink to the original (a multi-megabyte checkpoint is not
    copied per variant); ``name`` is a real copy. Returns ``target``.
    """
    source, target = Path(source), Path(target)
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.name == name:
            shutil.copy2(path, target / name)
        else:
            (target / path.name).symlink_to(path.resolve())
    return target


def restore_permissions(path: str | Path) -> None:
    """Undo ``unreadable`` so that a temporary folder can be removed."""
    path = Path(path)
    if path.exists() and not path.is_symlink():
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def permissions_apply() -> bool:
    """Whether ``unreadable`` can make a file unreadable for this process (not for root)."""
    return not (hasattr(os, "geteuid") and os.geteuid() == 0)


#: One standard variant per damage, by name. Text-only kinds are in ``TEXT_ONLY``.
KINDS: dict[str, Callable[[Path], None]] = {
    "truncate-1": lambda p: truncate(p, 1),
    "truncate-half": lambda p: truncate(p, 0.5),
    "truncate-last": lambda p: truncate(p, max(0, p.stat().st_size - 1)),
    "empty": empty,
    "random-bytes": random_bytes,
    "wrong-shape-json": wrong_shape_json,
    "utf-16": lambda p: reencode(p, "utf-16"),
    "latin-1": lambda p: reencode(p, "latin-1"),
    "deleted": delete,
    "unreadable": unreadable,
    "directory": replace_by_dir,
    "bom-crlf": add_bom_crlf,
}

#: Kinds that only make sense for a text file (they decode it first).
TEXT_ONLY = frozenset({"utf-16", "latin-1", "bom-crlf"})

#: Kinds after which the file is still usable: a reader must accept it silently.
USABLE = frozenset({"bom-crlf"})


def kinds_for(path: str | Path) -> list[str]:
    """The standard kinds that apply to the file at ``path`` (text kinds only for text)."""
    text = is_text(path)
    return [kind for kind in KINDS if text or kind not in TEXT_ONLY]


def is_text(path: str | Path) -> bool:
    """Whether the file decodes as UTF-8 (the text kinds need that)."""
    try:
        Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def apply(path: str | Path, kind: str) -> None:
    """Damage the file at ``path`` with the standard variant ``kind`` (one of ``KINDS``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown damage {kind!r}; known: {', '.join(KINDS)}")
    KINDS[kind](Path(path))


def unchanged(before: bytes | None, path: str | Path) -> bool:
    """Whether the file at ``path`` still holds exactly ``before`` (None: it is absent)."""
    path = Path(path)
    if before is None:
        return not path.is_file()
    return path.is_file() and path.read_bytes() == before


def check_outcome(code: int, err: str, name: str, expect: str = "either") -> str:
    """Check what a CLI call on a damaged input did; return ``"ok"`` or ``"error"``.

    ``"error"`` is exit 2 with exactly one ``rmh: error:`` line on stderr that contains
    ``name`` (the damaged file) and no traceback; ``"ok"`` is exit 0. ``expect`` says which
    are allowed: ``"ok"``, ``"error"`` or ``"either"`` (usable damage, such as a missing
    optional file, may load). Anything else raises ``AssertionError`` with the stderr.
    """
    lines = [line for line in err.splitlines() if line.strip()]
    if code == 0:
        outcome = "ok"
    else:
        assert code == 2, f"exit {code}, not 0 or 2:\n{err}"
        assert "Traceback" not in err, err
        assert len(lines) == 1, f"{len(lines)} lines on stderr, not one:\n{err}"
        assert lines[0].startswith("rmh: error: "), lines[0]
        assert name in lines[0], f"the error does not name {name!r}: {lines[0]}"
        outcome = "error"
    assert expect in ("either", outcome), f"expected {expect}, got {outcome}:\n{err}"
    return outcome
