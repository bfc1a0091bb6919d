"""What a log adds up to: ASR per family and its interval, completion totals, transfer."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil

import numpy as np
import pytest

from harness.core.errors import HarnessError
from harness.runlog import LOG_NAME, CompletionEntry, ReplayEntry, read_log
from harness.runlog.metrics import (
    load_run_log,
    proportion_interval,
    run_metrics,
    run_totals,
    transfer_matrix,
)


def test_all_failures_get_a_wilson_interval_not_a_point():
    interval = proportion_interval(np.zeros(5), np.ones(5), 0.95)
    assert interval.method == "wilson"
    assert interval.low == 0.0 and 0.4 < interval.high < 0.5  # Wilson 0/5: upper 43%


def test_bootstrap_resamples_prompts_and_is_deterministic():
    successes = np.array([3, 0, 1, 3, 0, 2])
    attempts = np.array([3, 3, 3, 3, 3, 3])
    first = proportion_interval(successes, attempts, 0.95)
    assert first == proportion_interval(successes, attempts, 0.95)
    assert first.method == "bootstrap"
    assert first.low <= 9 / 18 <= first.high
    # Prompt-level clustering makes the interval wider than treating 18 attempts as independent.
    independent = proportion_interval(np.array([1] * 9 + [0] * 9), np.ones(18, dtype=int), 0.95)
    assert first.high - first.low > independent.high - independent.low


def test_a_higher_confidence_gives_a_wider_interval():
    successes, attempts = np.array([1, 0, 2, 1]), np.array([2, 2, 2, 2])
    narrow = proportion_interval(successes, attempts, 0.8)
    wide = proportion_interval(successes, attempts, 0.99)
    assert wide.low <= narrow.low and wide.high >= narrow.high


def test_run_metrics_from_a_real_run(tiny_run):
    m = run_metrics(load_run_log(tiny_run), tiny_run)
    assert m.complete and not m.truncated
    assert {f.family for f in m.families} == {"repetition", "null-answer", "black-box-search"}
    for f in m.families:
        assert f.n == 4 and f.prompts == 4
        assert f.interval.low <= f.asr <= f.interval.high
        if f.findings:
            assert f.best is not None and f.best.family == f.family
    (ckpt,) = m.checkpoints
    assert ckpt.accuracy is not None and ckpt.accuracy_n == 4


def test_the_completion_entry_is_the_totals_of_the_log(tiny_run):
    log = read_log(tiny_run / LOG_NAME)
    completion = log.completion
    assert isinstance(completion, CompletionEntry)
    before = log.entries[: log.entries.index(completion)]
    totals = dataclasses.asdict(run_totals(before))
    assert {k: getattr(completion, k) for k in totals} == totals
    assert totals["findings"] > 0 and totals["attempts"] == 3 * 4 + 1


def _replay(source: int, checkpoint: int, is_open: bool, finding_id: int) -> ReplayEntry:
    return ReplayEntry(
        phase="transfer",
        source=source,
        checkpoint=checkpoint,
        fingerprint=f"f{checkpoint}",
        finding_id=finding_id,
        key=f"k{finding_id}",
        family="repetition",
        attack="repetition",
        prompt="p",
        text="t",
        score=1.0 if is_open else -1.0,
        reference_score=0.0,
        margin=1.0 if is_open else -1.0,
        open=is_open,
    )


def test_transfer_matrix_is_the_share_still_open_on_each_other_checkpoint():
    entries = [
        _replay(0, 1, True, 1),
        _replay(0, 1, False, 2),
        _replay(0, 2, False, 1),
        _replay(0, 2, False, 2),
        _replay(2, 0, True, 3),
    ]
    matrix = transfer_matrix(entries, 3)
    assert list(matrix.index) == ["ckpt0", "ckpt1", "ckpt2"] and matrix.index.name == "found_on"
    assert matrix.loc["ckpt0"].tolist() == [1.0, 0.5, 0.0]
    assert math.isnan(matrix.loc["ckpt1", "ckpt0"])  # nothing found on ckpt1
    assert matrix.loc["ckpt2", "ckpt0"] == 1.0 and matrix.loc["ckpt2", "ckpt2"] == 1.0


def test_a_log_in_the_old_shape_gives_the_same_metrics(tiny_run, tmp_path):
    """Logs written before log versions (attempt ``attack``/``attack_name``) still read."""
    old = tmp_path / "old"
    shutil.copytree(tiny_run, old)
    lines = []
    for line in (old / LOG_NAME).read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        entry.pop("log_version", None)
        if entry["type"] == "attempt":  # back to the old names
            renamed = {"attack": entry["attack_id"]}
            if not entry["unit"].endswith("/instability"):
                renamed["attack_name"] = entry["attack"]
            entry = {k: v for k, v in entry.items() if k not in ("attack_id", "attack")} | renamed
        lines.append(json.dumps(entry))
    (old / LOG_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert '"attack_name"' in (old / LOG_NAME).read_text()
    new_log, old_log = load_run_log(tiny_run), load_run_log(old)
    assert str(old_log.version) == "1.0" and not old_log.bad_lines
    assert [e.to_json() for e in old_log.attack_attempts()] == [
        e.to_json() for e in new_log.attack_attempts()
    ]
    assert run_metrics(old_log, "x") == run_metrics(new_log, "x")
    assert run_totals(old_log.entries) == run_totals(new_log.entries)


@pytest.mark.parametrize(
    ("missing", "message"),
    [("folder", "no run folder"), ("log", "has no log.jsonl"), ("init", "no init entry")],
)
def test_load_run_log_refuses_what_is_not_a_run(tmp_path, missing, message):
    folder = tmp_path / "run"
    if missing != "folder":
        folder.mkdir()
    if missing == "init":
        (folder / LOG_NAME).write_text("")
    with pytest.raises(HarnessError, match=message):
        load_run_log(folder)
