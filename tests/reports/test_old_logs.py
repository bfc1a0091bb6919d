"""A run logged before log versions (attempts named ``attack``/``attack_name``) reports
and gates exactly as the same run logged now."""

from __future__ import annotations

import json

from harness.gate import GatePolicy
from harness.runlog import LOG_NAME
from reports import build_report


def _to_old_shape(folder) -> None:
    path = folder / LOG_NAME
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        entry.pop("log_version", None)
        if entry["type"] == "attempt":
            renamed = {"attack": entry["attack_id"]}
            if not entry["unit"].endswith("/instability"):
                renamed["attack_name"] = entry["attack"]
            entry = {k: v for k, v in entry.items() if k not in ("attack_id", "attack")} | renamed
        lines.append(json.dumps(entry, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_an_old_log_gives_the_same_report_and_verdict(tiny_run, copy_run, tmp_path):
    old = copy_run(tiny_run.name)  # same folder name: the report names it
    _to_old_shape(old)
    assert '"attack_name"' in (old / LOG_NAME).read_text(encoding="utf-8")
    now = build_report(tiny_run, policy=GatePolicy(), out=tmp_path / "now")
    before = build_report(old, policy=GatePolicy(), out=tmp_path / "before")
    assert before.verdict == now.verdict and before.gate.metrics.families

    def summary(result) -> dict:
        data = json.loads(result.paths["summary"].read_text(encoding="utf-8"))
        del data["run"]["folder"]
        return data

    assert summary(before) == summary(now)
    for name in ("markdown", "junit"):
        assert before.paths[name].read_text() == now.paths[name].read_text()
