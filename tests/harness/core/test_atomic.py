"""Atomic file writes: the previous file or the new one, never half; durable once returned."""

from __future__ import annotations

import errno
import os
import stat

import pytest

import harness.core.atomic as atomic
from harness.core.atomic import replacing, write_atomic
from harness.core.errors import HarnessError


def test_text_bytes_and_chunks_are_written_whole_and_no_temporary_file_stays(tmp_path):
    assert write_atomic(tmp_path / "a.txt", "é\n") == tmp_path / "a.txt"
    write_atomic(tmp_path / "b.bin", b"\x00\xff")
    write_atomic(str(tmp_path / "c.jsonl"), (line for line in ["1\n", b"2\n", "3\n"]))
    assert (tmp_path / "a.txt").read_bytes() == "é\n".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    assert (tmp_path / "c.jsonl").read_text() == "1\n2\n3\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin", "c.jsonl"]


def test_a_failure_midway_keeps_the_previous_file_and_removes_the_temporary(tmp_path):
    path = tmp_path / "report.md"
    write_atomic(path, "old\n")

    def chunks():
        yield "new, half"
        raise KeyboardInterrupt  # a kill in the middle of the content

    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, chunks())
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_the_file_is_synced_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(source, target):
        events.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomic(tmp_path / "summary.json", "{}")
    folder_sync = [] if os.name == "nt" else ["fsync folder"]
    assert events == ["fsync file", "replace", *folder_sync]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_the_file_gets_the_permissions_of_any_new_file_not_private_ones(tmp_path):
    previous = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "samples.jsonl", "{}\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_taken_temporary_name_is_skipped_not_shared(tmp_path, monkeypatch):
    names = iter(["taken", "free"])
    monkeypatch.setattr(atomic.secrets, "token_hex", lambda _n: next(names))
    other = tmp_path / ".out.txt.taken.tmp"
    other.write_text("another writer's half file")
    write_atomic(tmp_path / "out.txt", "mine")
    assert (tmp_path / "out.txt").read_text() == "mine"
    assert other.read_text() == "another writer's half file"


def test_an_os_error_is_one_line_naming_the_file(tmp_path):
    with pytest.raises(HarnessError, match=r"cannot write .*missing.*out\.txt"):
        write_atomic(tmp_path / "missing" / "out.txt", "x")
    target = tmp_path / "folder"
    target.mkdir()
    with pytest.raises(HarnessError, match="cannot write"):
        write_atomic(target, "a folder cannot be replaced by a file")
    assert target.is_dir() and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.skipif(os.name == "nt", reason="directories are not synced on Windows")
def test_a_folder_that_cannot_be_synced_is_tolerated_a_failing_disk_is_not(tmp_path, monkeypatch):
    real_fsync = os.fsync

    def refuse_folders(code: int):
        def fsync(fd):
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                raise OSError(code, os.strerror(code))
            real_fsync(fd)

        return fsync

    monkeypatch.setattr(os, "fsync", refuse_folders(errno.EINVAL))
    write_atomic(tmp_path / "a.txt", "fine")
    assert (tmp_path / "a.txt").read_text() == "fine"
    monkeypatch.setattr(os, "fsync", refuse_folders(errno.EIO))
    with pytest.raises(HarnessError, match=r"cannot write .*b\.txt"):
        write_atomic(tmp_path / "b.txt", "maybe lost")


def test_replacing_yields_a_path_to_fill_and_a_fixed_name_replaces_its_leftover(tmp_path):
    target = tmp_path / "findings.db"
    leftover = tmp_path / ".findings.db.copy"
    leftover.write_text("left by a killed copy")
    with replacing(target, temporary_name=leftover.name) as temporary:
        assert temporary == leftover and not temporary.exists()
        temporary.write_text("copied")
    assert target.read_text() == "copied" and not leftover.exists()

    with pytest.raises(RuntimeError), replacing(target) as temporary:
        temporary.write_text("half a copy")
        raise RuntimeError("the copy failed")
    assert target.read_text() == "copied"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.db"]
