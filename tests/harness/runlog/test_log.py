"""The run log: whole lines, typed entries, versions, and a tail cut by a kill."""

from __future__ import annotations

import json
import math

import pytest

from harness.core.errors import HarnessError
from harness.runlog import (
    LOG_VERSION,
    AttemptEntry,
    ErrorEntry,
    FindingEntry,
    InitEntry,
    LogVersion,
    RunLog,
    read_log,
)
from harness.runlog.entries import RunConfig
from harness.runlog.run_options import RunOptions


def attempt(unit: str, **changes) -> AttemptEntry:
    fields = dict(unit=unit, checkpoint=0, attack_id="a", attack="repetition", family="rep")
    return AttemptEntry(**(fields | changes))


def test_entries_round_trip_typed_with_type_and_time(tmp_path, init_entry):
    path = tmp_path / "log.jsonl"
    text = "\u200b=cmd|' /C calc'!A0"
    with RunLog.create(path) as log:
        log.write(init_entry())
        log.write(ErrorEntry(stage="skip", attack="gcg", message=text))
    contents = read_log(path)
    assert [type(e) for e in contents.entries] == [InitEntry, ErrorEntry]
    assert contents.entries[1].message == text
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["type"] for r in raw] == ["init", "error"] and all("time" in r for r in raw)
    assert raw[0]["log_version"] == LOG_VERSION
    assert not contents.truncated and not contents.complete and not contents.skipped
    assert contents.version == LogVersion.parse(LOG_VERSION)


def test_only_entries_are_written_and_nan_is_refused(tmp_path):
    with RunLog.create(tmp_path / "log.jsonl") as log:
        with pytest.raises(TypeError, match="must be an Entry"):
            log.write({"type": "attempt"})  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            log.write(attempt("0/a/0/0", best_score=math.nan))
    assert (tmp_path / "log.jsonl").read_bytes() == b""


def test_a_cut_last_line_is_reported_then_trimmed_on_resume(tmp_path, init_entry):
    path = tmp_path / "log.jsonl"
    with RunLog.create(path) as log:
        log.write(init_entry())
        log.write(attempt("0/a/0/0"))
    with open(path, "ab") as handle:
        handle.write(b'{"type": "attempt", "unit": "0/a/0/1", "que')
    contents = read_log(path)
    assert contents.truncated and len(contents.entries) == 2 and not contents.bad_lines
    with RunLog.append_to(path) as log:
        log.write(attempt("0/a/0/1"))
    lines = path.read_text().splitlines()
    assert [json.loads(line)["unit"] for line in lines[1:]] == ["0/a/0/0", "0/a/0/1"]
    assert not read_log(path).truncated


def test_bad_lines_are_listed_and_left_out(tmp_path, init_entry):
    path = tmp_path / "log.jsonl"
    good = attempt("0/a/0/0").to_json()
    lines = [
        json.dumps(init_entry().to_json()),
        "{not json",
        "[1, 2]",
        json.dumps({"no": "type"}),
        json.dumps({"type": "attempt", "unit": "0/a/0/1"}),  # misses required fields
        json.dumps(good),
    ]
    path.write_bytes(("\n".join(lines) + "\n\n").encode() + b"\xff\xfe\n")
    contents = read_log(path)
    assert contents.bad_lines == [2, 3, 4, 5, 8]
    assert [e.type for e in contents.entries] == ["init", "attempt"]


def test_missing_log_is_a_clear_error(tmp_path):
    with pytest.raises(HarnessError, match="no run log"):
        read_log(tmp_path / "log.jsonl")


# ------------------------------------------------------------------ versions
def test_an_unknown_entry_type_names_file_line_and_type(tmp_path, init_entry, write_lines):
    path = write_lines(
        tmp_path / "log.jsonl", [init_entry().to_json(), {"type": "progress", "time": "t"}]
    )
    with pytest.raises(HarnessError) as caught:
        read_log(path)
    message = str(caught.value)
    assert str(path) in message and "line 2" in message and "'progress'" in message
    assert "\n" not in message


def test_a_newer_minor_version_skips_types_it_adds_and_says_so(tmp_path, init_entry, write_lines):
    major = LogVersion.parse(LOG_VERSION).major
    init = init_entry(log_version=f"{major}.7").to_json()
    sweep = {"type": "sweep", "time": "t", "kl": 1.0}
    later = attempt("0/a/0/0").to_json() | {"new_field": 1}  # a field this version lacks
    path = write_lines(tmp_path / "log.jsonl", [init, sweep, later, sweep, {"type": "round"}])
    contents = read_log(path)
    assert contents.skipped == {"round": 1, "sweep": 2}
    assert [e.type for e in contents.entries] == ["init", "attempt"]
    assert contents.version == LogVersion(major, 7) and not contents.bad_lines


def test_a_newer_major_version_is_one_line(tmp_path, init_entry, write_lines):
    major = LogVersion.parse(LOG_VERSION).major
    path = write_lines(tmp_path / "log.jsonl", [init_entry(log_version=f"{major + 1}.0").to_json()])
    with pytest.raises(HarnessError, match="newer than this rm-harness reads") as caught:
        read_log(path)
    assert "\n" not in str(caught.value)


def test_a_bad_log_version_is_one_line(tmp_path, init_entry, write_lines):
    path = write_lines(tmp_path / "log.jsonl", [init_entry(log_version="two").to_json()])
    with pytest.raises(HarnessError, match="bad log_version 'two'"):
        read_log(path)


def test_a_log_from_before_versions_reads_with_its_attempt_fields_renamed(
    tmp_path, old_shape_lines, write_lines
):
    path = write_lines(tmp_path / "log.jsonl", old_shape_lines)
    contents = read_log(path)
    assert contents.version == LogVersion(1, 0) and not contents.bad_lines
    assert contents.init.log_version == "1.0" and contents.init.fingerprints == ["f0"]
    probe, unit = contents.of_type(AttemptEntry)
    assert probe.is_probe and (probe.attack_id, probe.attack, probe.pairs) == (
        "instability",
        "instability",
        4,
    )
    assert not unit.is_probe and (unit.attack_id, unit.attack) == ("loud", "repetition")
    (finding,) = contents.of_type(FindingEntry)
    assert (finding.attack_id, finding.attack) == (unit.attack_id, unit.attack)
    assert contents.attack_attempts() == [unit]


def test_a_resumed_old_log_reads_both_shapes(tmp_path, old_shape_lines, write_lines):
    """A run started before versions and resumed after appends lines in the new shape."""
    new = attempt("0/loud/0/1", attack_id="loud", attack="repetition").to_json()
    path = write_lines(tmp_path / "log.jsonl", [*old_shape_lines, new])
    attempts = read_log(path).attack_attempts()
    assert [(a.unit, a.attack_id, a.attack) for a in attempts] == [
        ("0/loud/0/0", "loud", "repetition"),
        ("0/loud/0/1", "loud", "repetition"),
    ]


def test_a_2_0_log_reads_crossed_as_findings(tmp_path, init_entry, write_lines):
    """Before 2.1 every finding was kept, so what crossed the bar is what was found."""
    init = init_entry(log_version="2.0").to_json()
    old = attempt("0/a/0/0", findings=3).to_json()
    del old["crossed"]  # a 2.0 line has no such field
    new = attempt("0/a/0/1", findings=2, crossed=7).to_json()
    path = write_lines(tmp_path / "log.jsonl", [init, old, new])
    contents = read_log(path)
    assert contents.version == LogVersion(2, 0) and not contents.bad_lines
    old_entry, new_entry = contents.attack_attempts()
    assert (old_entry.findings, old_entry.crossed) == (3, 3)
    assert (new_entry.findings, new_entry.crossed) == (2, 7)
    assert LogVersion.parse(LOG_VERSION) >= LogVersion(2, 1)  # crossed is 2.1's addition


def test_a_log_from_before_versions_reads_crossed_as_findings(
    tmp_path, old_shape_lines, write_lines
):
    path = write_lines(tmp_path / "log.jsonl", old_shape_lines)
    probe, unit = read_log(path).of_type(AttemptEntry)
    assert (probe.crossed, unit.crossed) == (probe.findings, unit.findings) == (0, 1)


def _flat(config: dict) -> dict:
    """A config as logs before 3.0 wrote it: the run options beside the other fields."""
    return {**{k: v for k, v in config.items() if k != "run_options"}, **config["run_options"]}


def test_a_config_from_before_2_2_replayed_all(tmp_path, init_entry, write_lines):
    """Before 2.2 a run replayed every stored finding; its config has no replay mode."""
    init = init_entry(log_version="2.1").to_json()
    init["config"] = _flat(init["config"])
    del init["config"]["replay"]
    path = write_lines(tmp_path / "log.jsonl", [init])
    assert read_log(path).init.config.run_options.replay == "all"
    fresh = init_entry(
        config=RunConfig(
            checkpoints=("m",), options={}, run_options=RunOptions(store="s", replay="x")
        )
    )
    path = write_lines(tmp_path / "new.jsonl", [fresh.to_json()])
    assert read_log(path).init.config.run_options.replay == "x"


def test_a_config_from_before_3_0_has_its_run_options_flat(tmp_path, init_entry, write_lines):
    """Until 2.3 the store, its timeout, the batch size and the replay mode sat in the
    config itself; read, they are the config's ``run_options``, whatever they were."""
    options = RunOptions(store="/s/findings.db", store_timeout=5.0, batch_size=8, replay="all")
    config = RunConfig(checkpoints=("m",), options={"dtype": "auto"}, run_options=options)
    init = init_entry(log_version="2.3", config=config).to_json()
    init["config"] = _flat(init["config"])
    assert set(options.to_json()) <= set(init["config"]) and "run_options" not in init["config"]
    path = write_lines(tmp_path / "log.jsonl", [init])
    assert read_log(path, strict=True).init.config == config
    fresh = init_entry(config=config).to_json()
    assert fresh["config"]["run_options"] == options.to_json() and "store" not in fresh["config"]
    assert LogVersion.parse(fresh["log_version"]) >= LogVersion(3, 0)
