"""The transfer attack through ``rmh attack`` and ``rmh run``: its surrogate is resolved
and recorded as a judge's checkpoint is, and a surrogate that does not load or that is
the attacked model is one line, exit 2, before any query."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.runlog import read_log
from harness.testing import build_tiny_checkpoint

TARGET_SUITE = """\
name = "transfer"
seed = 0

[data]
source = "pairs.jsonl"

[[attacks]]
name = "transfer"
budget = 13
params = {{ surrogate = "{surrogate}", check = 4, surrogate_budget = 40, \
search_params = {{ length = 4, batch = 8 }} }}
"""


@pytest.fixture(scope="module")
def other(tmp_path_factory) -> Path:
    """A tiny checkpoint of the same shape as the ``bert`` one, with other weights."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("surrogate") / "other", seed=1)


def write_suite(folder: Path, surrogate: str) -> Path:
    rows = [
        {"prompt": "Tell me a joke about cats.", "chosen": "Meow? Meow.", "rejected": "No."},
        {"prompt": "Tell me a joke about dogs.", "chosen": "Woof. Woof!", "rejected": "No."},
    ]
    (folder / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    suite = folder / "suite.toml"
    suite.write_text(TARGET_SUITE.format(surrogate=surrogate))
    return suite


def attack(rmh, target: Path, prompts: Path, surrogate: str):
    return rmh(
        "attack", str(target), "--attack", "transfer", "--prompts", str(prompts),
        "--budget", "9", "--no-baseline", "--param", f"surrogate={surrogate}",
        "--param", "check=4", "--param", "surrogate_budget=40",
        "--param", 'search_params={"length": 4, "batch": 8}',
    )  # fmt: skip


def test_rmh_attack_transfers_from_a_surrogate_and_counts_apart(rmh, checkpoints, other, prompts):
    code, out, err = attack(rmh, checkpoints["bert"], prompts, str(other))
    assert code == 0, err
    # per prompt: the reference and two restarts' checks of 4
    assert out.count(", 9 queries,") == 2 and "18 queries" in out
    assert out.count(", 80 surrogate queries") == 2 and "160 surrogate queries in" in out


def test_rmh_attack_refuses_a_surrogate_that_is_the_target(
    rmh, one_line_error, checkpoints, prompts
):
    code, _, err = attack(rmh, checkpoints["bert"], prompts, str(checkpoints["bert"]))
    one_line_error(code, err, "it is not a transfer")


def test_rmh_attack_refuses_a_surrogate_that_does_not_load(
    rmh, one_line_error, checkpoints, prompts, tmp_path
):
    code, _, err = attack(rmh, checkpoints["bert"], prompts, str(tmp_path / "missing"))
    one_line_error(code, err, "cannot be loaded")


def test_a_run_records_the_surrogate_resolved_and_its_queries(
    rmh, checkpoints, other, tmp_path, monkeypatch
):
    monkeypatch.chdir(other.parent)  # the suite names the surrogate by a relative path
    suite = write_suite(tmp_path, "other")
    out = tmp_path / "run"
    code, _, err = rmh("run", str(checkpoints["bert"]), "--suite", str(suite), "--out", str(out))
    assert code == 0, err
    log = read_log(out / "log.jsonl")
    assert log.init.config.attacks["transfer"]["surrogate"] == str(other.resolve())
    attempts = log.attack_attempts()
    assert len(attempts) == 2
    for entry in attempts:
        detail = entry.detail["transfer"]
        assert entry.queries == 1 + detail["checked"] == 13  # three restarts' checks of 4
        assert entry.surrogate_queries == 3 * 40 and detail["restarts"] == 3
        assert detail["surrogate"] == str(other.resolve()) and len(detail["fingerprint"]) == 64
        assert 0 <= detail["beat_reference"] <= detail["checked"]


def test_a_run_refuses_a_surrogate_that_is_the_target_before_any_query(
    rmh, one_line_error, checkpoints, tmp_path
):
    suite = write_suite(tmp_path, str(checkpoints["bert"]))
    out = tmp_path / "run"
    code, _, err = rmh("run", str(checkpoints["bert"]), "--suite", str(suite), "--out", str(out))
    one_line_error(code, err, "it is not a transfer")
    assert not out.exists()


def test_a_run_refuses_a_surrogate_that_does_not_load(rmh, one_line_error, checkpoints, tmp_path):
    suite = write_suite(tmp_path, str(tmp_path / "missing"))
    code, _, err = rmh(
        "run", str(checkpoints["bert"]), "--suite", str(suite), "--out", str(tmp_path / "run")
    )
    one_line_error(code, err, "cannot be loaded")


def test_a_resume_reads_the_surrogate_as_the_run_recorded_it(tmp_path, monkeypatch):
    """Resolved once, when the run starts: a resume from another directory, where the
    suite's relative path names nothing (or something else), reads the recorded folder."""
    from harness.runner.init import resolved_params
    from harness.suite import AttackConfig

    entry = AttackConfig(name="transfer", budget=10, params={"surrogate": "other", "check": 2})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "other").mkdir()
    fresh = resolved_params(entry)
    assert fresh == {"surrogate": str(tmp_path / "other"), "check": 2}
    recorded = {"transfer": {"surrogate": "/elsewhere/other", "check": 2}}
    assert resolved_params(entry, recorded) == recorded["transfer"]
