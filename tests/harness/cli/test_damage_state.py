"""Damaged state a run leaves behind: the findings store and the run log.

The store (``findings.db``) is damaged in every way ``harness.testing_damage`` knows and
read by ``rmh findings list``, ``rmh exploits list`` and ``rmh run --store``: exit 2 with
one stderr line naming the file, or success where the damage leaves a usable store (an
empty file is a new store; ``rmh run`` creates a deleted one). A WAL file left by a kill
is recovered by SQLite, with the data it holds; a damaged WAL or shared-memory file is
recovered or a one-line error. The run log (``log.jsonl``) is read by ``rmh report``,
``rmh gate`` and ``rmh run --resume``: a cut last line is what a kill leaves (resume
continues, report and gate refuse a partial run), damage anywhere else is a one-line
error naming the file and the line. A damaged file is never changed by a verb.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import testing_damage as damage

SUITE = """\
name = "damage"

[data]
source = "pairs.jsonl"

[[attacks]]
name = "null-answer"
budget = 4
"""
PAIRS = "".join(
    json.dumps({"prompt": f"Tell me a joke about {animal}.", "chosen": joke, "rejected": "No."})
    + "\n"
    for animal, joke in (("cats", "Cats? Purr-fect."), ("dogs", "Dogs? Ruff day."))
)
POLICY = """\
min_clean_accuracy = 0.0
inconclusive = "pass"

[defaults]
max_asr = 1.0
min_samples = 1
"""
BINARY_KINDS = [kind for kind in damage.KINDS if kind not in damage.TEXT_ONLY]
STORE_VERBS = ("findings", "exploits", "run")
STORE_VARIANTS = [(kind, verb) for kind in BINARY_KINDS for verb in STORE_VERBS]
WAL_VARIANTS = [(suffix, kind) for suffix in ("-wal", "-shm") for kind in BINARY_KINDS]
LOG_VERBS = ("report", "gate", "resume")
LOG_VARIANTS = [(kind, verb) for kind in damage.KINDS for verb in LOG_VERBS]
SETTINGS = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def base(checkpoints, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run (``run/``) with its store (``findings.db``), suite and gate policy."""
    from harness.cli import main

    folder = tmp_path_factory.mktemp("damage-state")
    (folder / "pairs.jsonl").write_text(PAIRS)
    (folder / "suite.toml").write_text(SUITE)
    (folder / "gate.toml").write_text(POLICY)
    argv = ["run", str(checkpoints["bert"]), "--suite", str(folder / "suite.toml"), "--quiet"]
    assert main([*argv, "--out", str(folder / "run")]) == 0
    assert (folder / "findings.db").is_file() and not (folder / "findings.db-wal").exists()
    return folder


def _copy(base: Path, target: Path) -> Path:
    return shutil.copytree(base, target)


def _store_call(
    rmh, verb: str, folder: Path, checkpoint: Path, suite: Path | None = None
) -> tuple[int, str]:
    store = str(folder / "findings.db")
    if verb == "run":
        suite = str(suite or folder / "suite.toml")
        out = str(folder / "run2")
        code, _out, err = rmh(
            "run", str(checkpoint), "--suite", suite, "--out", out, "--store", store, "--quiet"
        )
    else:
        code, _out, err = rmh(verb, "list", "--store", store)
    return code, err


def _log_call(rmh, verb: str, folder: Path) -> tuple[int, str]:
    run = str(folder / "run")
    if verb == "report":
        code, _out, err = rmh("report", run)
    elif verb == "gate":
        code, _out, err = rmh("gate", run, "--policy", str(folder / "gate.toml"))
    else:
        code, _out, err = rmh("run", "--resume", run, "--quiet")
    return code, err


def _guarded(target: Path, call) -> tuple[str, int, str]:
    """Run ``call``; when it fails, the damaged file must be exactly as it was."""
    before = target.read_bytes() if target.is_file() else None
    was_dir = target.is_dir()
    code, err = call()
    if code != 0:
        assert target.is_dir() if was_dir else damage.unchanged(before, target), err
    return code, err


# ------------------------------------------------------------------- the store
def _store_expect(kind: str, verb: str) -> str:
    if kind == "deleted":
        return "ok" if verb == "run" else "error"  # a run starts a new store
    if kind in ("empty", "truncate-last"):
        return "either"  # an empty file is a new store; the last page may be unused
    return "error"


@pytest.mark.parametrize(
    ("kind", "verb"), STORE_VARIANTS, ids=[":".join(v) for v in STORE_VARIANTS]
)
def test_damaged_store(rmh, checkpoints, base, tmp_path, kind, verb):
    if kind == "unreadable" and not damage.permissions_apply():
        pytest.skip("permissions do not apply to root")
    folder = _copy(base, tmp_path / "b")
    target = folder / "findings.db"
    damage.apply(target, kind)
    try:
        code, err = _guarded(target, lambda: _store_call(rmh, verb, folder, checkpoints["bert"]))
        damage.check_outcome(code, err, "findings.db", _store_expect(kind, verb))
    finally:
        damage.restore_permissions(target)


def _killed_store(base: Path, target: Path) -> Path:
    """A copy of the store alone as a kill leaves it: a committed write only in ``-wal``."""
    live = target.parent / "live"
    live.mkdir()
    shutil.copy(base / "findings.db", live)
    db = sqlite3.connect(live / "findings.db", isolation_level=None)
    try:
        db.execute("PRAGMA wal_autocheckpoint = 0")
        db.execute(
            "UPDATE findings SET family = 'walfamily' WHERE id = (SELECT min(id) FROM findings)"
        )
        shutil.copytree(live, target)  # while the connection is open: -wal and -shm included
    finally:
        db.close()
    assert (target / "findings.db-wal").stat().st_size > 0
    return target


def test_a_wal_left_by_a_kill_is_recovered(rmh, checkpoints, base, tmp_path):
    folder = _killed_store(base, tmp_path / "killed")
    store = str(folder / "findings.db")
    code, out, err = rmh("findings", "list", "--store", store, "--family", "walfamily")
    assert code == 0 and "walfamily" in out, err
    code, err = _store_call(rmh, "run", folder, checkpoints["bert"], base / "suite.toml")
    assert code == 0, err
    code, out, err = rmh("findings", "list", "--store", store, "--family", "walfamily")
    assert code == 0 and "walfamily" in out, err


@pytest.mark.parametrize(("suffix", "kind"), WAL_VARIANTS, ids=["".join(v) for v in WAL_VARIANTS])
def test_damaged_wal_or_shm(rmh, base, tmp_path, suffix, kind):
    if kind == "unreadable" and not damage.permissions_apply():
        pytest.skip("permissions do not apply to root")
    folder = _killed_store(base, tmp_path / "killed")
    target = folder / f"findings.db{suffix}"
    damage.apply(target, kind)
    try:
        for verb in ("findings", "exploits"):
            code, out, err = rmh(verb, "list", "--store", str(folder / "findings.db"))
            outcome = damage.check_outcome(code, err, "findings.db")
            if suffix == "-shm":  # shared memory is only an index: always rebuilt
                assert outcome == "ok" and (verb != "findings" or "walfamily" in out), err
    finally:
        damage.restore_permissions(target)


def _kept(folder: Path) -> bytes:
    """What the store's files hold, to check that no committed write was dropped."""
    files = (folder / "findings.db", folder / "findings.db-wal")
    return b"".join(f.read_bytes() for f in files if f.is_file())


@SETTINGS
@given(which=st.sampled_from(["findings.db", "findings.db-wal"]), data=st.data())
def test_generated_damage_to_the_store(rmh, base, tmp_path, which, data):
    """SQLite may fold the WAL into a damaged store as it closes it, but loses nothing."""
    with tempfile.TemporaryDirectory(dir=tmp_path) as work:
        folder = _killed_store(base, Path(work) / "killed")
        target = folder / which
        if data.draw(st.booleans(), "noise"):
            offset = data.draw(st.integers(0, target.stat().st_size - 1), "offset")
            noise = data.draw(st.binary(min_size=1, max_size=64), "noise")
            raw = bytearray(target.read_bytes())
            raw[offset : offset + len(noise)] = noise
            target.write_bytes(bytes(raw))
        else:
            damage.truncate(target, data.draw(st.integers(0, target.stat().st_size - 1), "at"))
        held = b"walfamily" in _kept(folder)
        code, _out, err = rmh("exploits", "list", "--store", str(folder / "findings.db"))
        damage.check_outcome(code, err, "findings.db")
        if code != 0:
            assert (folder / "findings.db").is_file() and held <= (b"walfamily" in _kept(folder))


# --------------------------------------------------------------------- the log
def _log_expect(kind: str, verb: str) -> str:
    if kind in damage.USABLE:
        return "ok"
    if kind in ("truncate-half", "truncate-last") and verb == "resume":
        return "ok"  # what a kill leaves: the cut line is dropped and the run continues
    return "error"


@pytest.mark.parametrize(("kind", "verb"), LOG_VARIANTS, ids=[":".join(v) for v in LOG_VARIANTS])
def test_damaged_run_log(rmh, base, tmp_path, kind, verb):
    if kind == "unreadable" and not damage.permissions_apply():
        pytest.skip("permissions do not apply to root")
    folder = _copy(base, tmp_path / "b")
    target = folder / "run" / "log.jsonl"
    damage.apply(target, kind)
    try:
        code, err = _guarded(target, lambda: _log_call(rmh, verb, folder))
        if verb == "gate" and code == 1 and not err.strip():
            code = 0  # a verdict
        damage.check_outcome(code, err, "log.jsonl", _log_expect(kind, verb))
    finally:
        damage.restore_permissions(target)


@SETTINGS
@given(
    verb=st.sampled_from(LOG_VERBS),
    data=st.data(),
    junk=st.binary(max_size=40).filter(lambda b: b.strip() and b"\n" not in b)
    | st.sampled_from([b"[1, 2]", b'{"type": 3}', b'{"type": "attempt"}', b"null", b'{"x": 1}']),
)
def test_damage_inside_the_run_log_names_the_line(rmh, base, tmp_path, verb, data, junk):
    with tempfile.TemporaryDirectory(dir=tmp_path) as work:
        folder = _copy(base, Path(work) / "b")
        target = folder / "run" / "log.jsonl"
        lines = target.read_bytes().split(b"\n")[:-1]
        index = data.draw(st.integers(0, len(lines) - 1), "line")
        lines[index] = junk
        target.write_bytes(b"\n".join(lines) + b"\n")
        code, err = _guarded(target, lambda: _log_call(rmh, verb, folder))
        damage.check_outcome(code, err, "log.jsonl", "error")
        assert f"line {index + 1}:" in err, err
