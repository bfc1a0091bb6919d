"""Replacing a file whole or not at all: the one way the project publishes a file.

Reports, sweep records, sampled responses, training pairs and store copies are read by
other verbs, sometimes while they are being rewritten, and any process may be killed at
any instant. A reader must find the previous complete file or the new complete one,
never half of one; and once a write has returned, a power loss must not take it back.
So every such file is written the same way:

1. into a hidden temporary file beside the target (``.NAME.<random>.tmp``: the same
   directory, so the rename never crosses file systems; created exclusively, so two
   writers of one target never share a temporary file; with the permissions any new file
   gets, not ``mkstemp``'s private ones, since these files are for every reader);
2. flushed and fsync'd, so its bytes are on disk before its name is;
3. renamed over the target with ``os.replace`` (atomic on POSIX and on Windows);
4. then the directory is fsync'd, so the rename itself survives a power loss (where the
   OS lets a directory be opened for that; Windows does not).

A failure or an interrupt at any step removes the temporary file and leaves the target
as it was; an ``OSError`` is a one-line ``HarnessError`` naming the target.

    write_atomic(folder / "report.md", text)              # str (UTF-8) or bytes
    write_atomic(path, (json.dumps(row) + "\\n" for row in rows))   # chunks, streamed

A writer that needs a path rather than bytes (SQLite's backup API writes a database it
opens itself) fills the temporary file in a ``replacing`` block instead::

    with replacing(target) as temporary:
        copy = sqlite3.connect(temporary)
        ...
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from harness.core.durable import crash_point
from harness.core.errors import HarnessError

__all__ = ["Content", "replacing", "sync_directory", "write_atomic"]

#: What ``write_atomic`` writes: text (as UTF-8), bytes, or an iterable of either, written
#: chunk by chunk as it is produced (a generator that raises leaves the target as it was).
Content = str | bytes | Iterable[str] | Iterable[bytes]

# Errors of fsync on a directory that mean "this file system cannot do that", not "the
# disk failed": the rename is done and is as durable as that file system makes it.
_CANNOT_SYNC_DIRECTORY = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF, errno.EACCES}

_TEMPORARY_ATTEMPTS = 100


def write_atomic(path: str | Path, content: Content) -> Path:
    """Write ``content`` to ``path`` whole or not at all (module doc); ``path`` returned.

    The directory must exist: each caller creates it with its own message.
    """
    target = Path(path)
    with replacing(target) as temporary, open(temporary, "wb") as out:
        for chunk in _chunks(content):
            out.write(chunk)
    return target


@contextmanager
def replacing(path: str | Path, *, temporary_name: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends, publish it as ``path``.

    The block fills the temporary file however it likes; after it, the file is fsync'd,
    renamed over ``path`` and the directory fsync'd. An exception in the block removes
    the temporary file and leaves ``path`` as it was.

    ``temporary_name``: a fixed name (in the same directory) instead of a fresh random
    one, for a writer whose leftover from a killed attempt should be replaced by its next
    attempt rather than kept beside it; an existing file of that name is removed first.
    """
    target = Path(path)
    temporary: Path | None = None
    try:
        if temporary_name is None:
            temporary = _new_temporary(target)
        else:
            temporary = target.with_name(temporary_name)
            temporary.unlink(missing_ok=True)
        yield temporary
        _sync_file(temporary)
        os.replace(temporary, target)
        sync_directory(target.parent)
        crash_point(f"renamed {target.name} into place")
    except OSError as exc:
        _remove(temporary)
        raise HarnessError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(temporary)
        raise


def _chunks(content: Content) -> Iterator[bytes]:
    """``content`` as bytes, chunk by chunk (text as UTF-8)."""
    if isinstance(content, (str, bytes)):
        content = (content,)
    for chunk in content:
        yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


def _new_temporary(target: Path) -> Path:
    """Create (exclusively, with the umask's permissions) an empty hidden file beside
    ``target``; its path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(_TEMPORARY_ATTEMPTS):
        candidate = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            handle = os.open(candidate, flags, 0o666)
        except FileExistsError:
            continue
        os.close(handle)
        return candidate
    raise FileExistsError(errno.EEXIST, "no free temporary name beside it", str(target))


def _sync_file(path: Path) -> None:
    """Flush the file's bytes to disk (whoever wrote them has closed it)."""
    handle = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def sync_directory(folder: Path) -> None:
    """Flush ``folder``'s entries (the rename) to disk, where the OS allows it."""
    if os.name == "nt":  # a directory cannot be opened for this on Windows
        return
    handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(handle)
    except OSError as exc:
        if exc.errno not in _CANNOT_SYNC_DIRECTORY:
            raise
    finally:
        os.close(handle)


def _remove(path: Path | None) -> None:
    """Remove a temporary file on the way out of a failure; never masks that failure."""
    if path is None:
        return
    with suppress(OSError):
        path.unlink(missing_ok=True)
