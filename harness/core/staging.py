"""Result folders that come into existence whole: built aside, renamed into place.

A run, experiment or sweep folder that a kill can leave half made is a folder the user
must clean up by hand: it is not a result (no log, no record) and it is in the way of the
next start. So each is built under a hidden name beside its target (``.NAME.staging``)
until it holds what makes it resumable or complete (a run's log with its ``init``; an
experiment's log with ``init`` and ``split``; a sweep's ``sweep.json``), then renamed
into place in one step. Whatever instant a kill comes, the target is either absent (or
as it was) or a folder that ``--resume`` continues.

A kill before the rename leaves only the staging folder. It belongs to nobody: the next
start of the same target removes it (``StagedFolder.begin``), and ``--resume`` says the
start was killed (``was_killed_starting``). Deleting a result (``rmh run --overwrite``)
moves it aside (``.NAME.replaced``) in one rename first (``discard``), so a kill
mid-delete never leaves a half-deleted result either. A result written again into a
folder that holds other files too (a sweep's) is merged in file by file, its marker file
last (``place(merge_last=...)``).

    staged = StagedFolder.begin(out)
    write_everything_into(staged.path)
    staged.place()   # out now exists, whole
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from harness.core.atomic import sync_directory
from harness.core.durable import crash_point
from harness.core.errors import HarnessError


def staging_path(target: Path) -> Path:
    """Where ``target`` is built before it is renamed into place."""
    return target.with_name(f".{target.name}.staging")


def replaced_path(target: Path) -> Path:
    """Where a folder being replaced waits to be deleted."""
    return target.with_name(f".{target.name}.replaced")


def was_killed_starting(target: Path) -> bool:
    """A start of ``target`` was killed before the folder was placed (module doc)."""
    return not target.exists() and staging_path(target).is_dir()


def discard(target: Path) -> None:
    """Delete the folder ``target``: renamed aside in one step, then removed."""
    aside = replaced_path(target)
    _remove(aside)
    try:
        os.replace(target, aside)
        sync_directory(target.parent)
    except OSError as exc:
        raise HarnessError(f"cannot remove {target}: {exc.strerror or exc}") from None
    crash_point(f"moved {target.name} aside")
    _remove(aside)
    crash_point(f"deleted the old {target.name}")


@dataclass(frozen=True)
class StagedFolder:
    """A folder being built at ``path`` that becomes ``target`` when it is placed."""

    target: Path
    path: Path

    @classmethod
    def begin(cls, target: str | Path) -> StagedFolder:
        """An empty staging folder for ``target``; what a killed start left is removed."""
        target = Path(target)
        path = staging_path(target)
        _remove(path)
        _remove(replaced_path(target))
        try:
            path.mkdir(parents=True)
        except OSError as exc:
            raise HarnessError(f"cannot create {target}: {exc.strerror or exc}") from None
        crash_point(f"staged {target.name}")
        return cls(target, path)

    def place(self, *, merge_last: str | None = None) -> Path:
        """Rename the staging folder to the target (absent, or an empty folder); the target.

        ``merge_last``: a target folder that holds something already (the caller decided
        the new files may join it: a sweep written again) gets the staged files moved in
        one by one, overwriting theirs, with the file of that relative path last; the
        folder's own files are left alone. Each move is atomic, and that last file is what
        makes the folder a result, so a kill mid-way leaves the old result or the new one.
        """
        target = self.target
        if _occupied(target):
            if merge_last is None:
                raise HarnessError(f"cannot create {target}: something is in the way")
            return self._merge(merge_last)
        try:
            os.replace(self.path, target)
            sync_directory(target.parent)
        except OSError as exc:
            raise HarnessError(f"cannot create {target}: {exc.strerror or exc}") from None
        crash_point(f"placed {target.name}")
        return target

    def _merge(self, last: str) -> Path:
        files = sorted(p.relative_to(self.path) for p in self.path.rglob("*") if not p.is_dir())
        files.sort(key=lambda p: p == Path(last))  # stable: the rest keep their order
        for relative in files:
            destination = self.target / relative
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.path / relative, destination)
            except OSError as exc:
                raise HarnessError(f"cannot write {destination}: {exc.strerror or exc}") from None
            crash_point(f"moved {relative} into {self.target.name}")
        _remove(self.path)
        return self.target

    def abandon(self) -> None:
        """Remove the staging folder: the start failed before anything was placed."""
        _remove(self.path)

    def __repr__(self) -> str:
        return f"StagedFolder(target={str(self.target)!r}, path={str(self.path)!r})"


def _occupied(path: Path) -> bool:
    """Something is at ``path`` that a rename onto it would not silently replace."""
    if path.is_dir() and not path.is_symlink():
        return any(path.iterdir())
    return path.exists() or path.is_symlink()


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    except OSError as exc:
        raise HarnessError(f"cannot remove {path}: {exc.strerror or exc}") from None
