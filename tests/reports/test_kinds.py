"""Kinds of result folder: each recognised by its marker, reported and gated through one
pipeline; a new kind is one class away (the ``TallyKind`` below is the whole of one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.errors import HarnessError
from reports.kinds import (
    FALLBACK,
    RESULT_KINDS,
    FolderOptions,
    GateOutcome,
    ResultKind,
    detect_kind,
)
from reports.report_files import ReportFile

BUILTIN = {"experiment": "experiment.jsonl", "run": "log.jsonl", "sweep": "sweep.json"}


class TallyKind(ResultKind[int]):
    """A folder of one count (a test kind): reported as a page, passed when it is zero."""

    name = "test-tally"
    marker = "tally.txt"
    gate_options = frozenset()

    def context(self, folder: Path, options: FolderOptions) -> int:
        text = (folder / self.marker).read_text()
        if not text.strip().isdigit():
            raise HarnessError(f"{folder / self.marker} holds no count")
        return int(text)

    def renderers(self) -> dict[str, ReportFile[int]]:
        return {"page": ReportFile("tally.md", lambda count: f"# Tally\n\n{count}\n")}

    def report_lines(self, ctx: int) -> list[str]:
        return [f"tally: {ctx}"]

    def gate(self, ctx: int) -> GateOutcome:
        return GateOutcome((f"gate: {'PASS' if ctx == 0 else 'FAIL'}",), 0 if ctx == 0 else 1)


def _folder(root: Path, name: str, *markers: str) -> Path:
    folder = root / name
    folder.mkdir()
    for marker in markers:
        (folder / marker).write_text("")
    return folder


def test_a_kind_registered_in_one_place_is_detected_reported_and_gated(
    rmh, one_line_error, tmp_path
):
    folder = _folder(tmp_path, "tally")
    (folder / "tally.txt").write_text("3")
    with RESULT_KINDS.temporarily(TallyKind):
        assert type(detect_kind(folder)) is TallyKind
        code, out, err = rmh("report", str(folder), "--out", str(tmp_path / "out"))
        assert code == 0, err
        assert out.splitlines() == ["tally: 3", f"wrote {tmp_path / 'out' / 'tally.md'}"]
        assert (tmp_path / "out" / "tally.md").read_text() == "# Tally\n\n3\n"
        assert rmh("gate", str(folder)) == (1, "gate: FAIL\n", "")
        (folder / "tally.txt").write_text("0")
        assert rmh("gate", str(folder)) == (0, "gate: PASS\n", "")
        code, _, err = rmh("gate", str(folder), "--policy", "gate.toml")
        one_line_error(code, err, f"--policy: for a run or sweep folder, and {folder} is a test-")
        (folder / "tally.txt").write_text("many")
        code, _, err = rmh("report", str(folder))
        one_line_error(code, err, "holds no count")
    assert "test-tally" not in RESULT_KINDS  # gone after the block: read as a run folder
    code, _, err = rmh("gate", str(folder))
    one_line_error(code, err, "has no log.jsonl")


@pytest.mark.parametrize("name", RESULT_KINDS.names())
def test_every_kind_is_recognised_by_its_marker_alone(name, tmp_path):
    cls = RESULT_KINDS.get(name)
    assert cls.description() and cls.name == name
    assert type(detect_kind(_folder(tmp_path, "one", cls.marker))) is cls
    assert repr(cls()) == f"{cls.__name__}(name={name!r}, marker={cls.marker!r})"


def test_the_builtin_kinds_and_the_fallback(tmp_path):
    assert {n: RESULT_KINDS.get(n).marker for n in BUILTIN} == BUILTIN
    assert FALLBACK == "run"
    assert detect_kind(_folder(tmp_path, "empty")).name == "run"
    assert detect_kind(tmp_path / "missing").name == "run"


def test_a_folder_of_two_kinds_is_one_line(rmh, one_line_error, tmp_path):
    folder = _folder(tmp_path, "both", "log.jsonl", "sweep.json")
    for verb in ("report", "gate"):
        code, _, err = rmh(verb, str(folder))
        one_line_error(code, err, "it would be both a run folder and a sweep folder")


def test_an_experiment_folder_has_no_gate_and_says_where_one_is(rmh, one_line_error, tmp_path):
    folder = _folder(tmp_path, "exp", "experiment.jsonl")
    code, _, err = rmh("gate", str(folder))
    one_line_error(
        code,
        err,
        f"rmh gate decides on run or sweep folders, and {folder} is an experiment folder, "
        f"which has no gate; gate one of its run folders (e.g. {folder / 'round-0'})",
    )
    code, _, err = rmh("report", str(folder), "--policy", "gate.toml", "--allow-suite-mismatch")
    one_line_error(
        code,
        err,
        f"--policy, --allow-suite-mismatch: for a run folder, and {folder} is an experiment "
        f"folder; report one of its run folders (e.g. {folder / 'round-0'}) with it",
    )


def test_a_sweep_folder_refuses_the_run_options_by_flag(rmh, one_line_error, tmp_path):
    folder = _folder(tmp_path, "sweep", "sweep.json")
    code, _, err = rmh("report", str(folder), "--baseline", "runs/a", "--allow-suite-mismatch")
    one_line_error(
        code,
        err,
        f"--baseline, --allow-suite-mismatch: for a run folder, and {folder} is a sweep folder",
    )


class _Named(TallyKind):
    """A test kind."""

    name = "test-bad"


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"marker": ""}, "marker must be a file name"),
        ({"marker": "sub/file.txt"}, "marker must be a file name"),
        ({"report_options": frozenset({"seed"})}, "unknown options"),
        ({"gate_options": None}, "gate_options and gate"),
        ({"__doc__": None}, "needs a docstring"),
    ],
)
def test_a_kind_that_could_not_be_dispatched_to_is_refused(attributes, message):
    bad = type("Bad", (_Named,), attributes)
    with pytest.raises(TypeError, match=message):
        RESULT_KINDS.register(bad)
    assert "test-bad" not in RESULT_KINDS
    with pytest.raises(TypeError, match="not a ResultKind"):
        RESULT_KINDS.register(int)  # type: ignore[arg-type]
