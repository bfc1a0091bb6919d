"""Reports from a real tiny run: the four files, their agreement, rebuilds, bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from harness.core.errors import HarnessError
from harness.gate import GatePolicy, load_policy
from harness.runlog import LOG_NAME
from reports import FILES, build_report


def test_report_writes_four_files_that_agree(tiny_run, tmp_path):
    result = build_report(tiny_run, policy=GatePolicy(), out=tmp_path)
    assert {p.name for p in result.paths.values()} == set(FILES.values())
    summary = json.loads(result.paths["summary"].read_text())
    html = result.paths["html"].read_text()
    markdown = result.paths["markdown"].read_text()
    junit = ET.parse(result.paths["junit"]).getroot()

    assert summary["schema_version"] == 4
    assert summary["verdict"]["status"] == result.verdict.status
    assert summary["verdict"]["exit_code"] == result.verdict.exit_code
    families = {f["family"] for f in summary["families"]}
    assert families == {"repetition", "null-answer", "black-box-search"}
    for family in summary["families"]:
        assert 0 <= family["ci_low"] <= family["asr"] <= family["ci_high"] <= 1
        assert family["n"] == 4  # one attack per family, four prompts
    cases = {case.get("name") for case in junit.iter("testcase")}
    assert families <= cases
    assert f"Gate: {result.verdict.label}" in html
    assert f"**Gate: {result.verdict.label}**" in markdown
    accuracy = summary["checkpoints"][0]["accuracy"]
    assert f"{accuracy:.1%}" in html and f"{accuracy:.1%}" in markdown


def test_skipped_attacks_are_listed_by_every_report_and_the_gate(
    rmh, rewrite_log, copy_run, tmp_path
):
    """A white-box attack skipped on a checkpoint (``init``) and an optional attack skipped
    without its extra (``error``, stage ``skip``): shown, and in no family's ASR."""
    from reports.markdown import escape_md

    folder = copy_run("skipped")
    white = "white-box, the model gives no gradients"
    extra = "attack 'textattack-beam' needs textattack: pip install 'rm-harness[textattack]'"

    def edit(entry):
        if entry["type"] != "init":
            return entry
        entry["skipped_attacks"] = [
            {"attack_id": "gcg", "attack": "gcg", "checkpoint": 0, "reason": white}
        ]
        skip = {"type": "error", "time": entry["time"], "stage": "skip"}
        return [entry, {**skip, "attack": "textattack-beam", "message": extra}]

    rewrite_log(folder, edit)
    result = build_report(folder, policy=GatePolicy(), out=tmp_path)
    summary = json.loads(result.paths["summary"].read_text())
    assert summary["run"]["skipped"] == [
        {"attack": "textattack-beam", "checkpoint": None, "reason": extra},
        {"attack": "gcg", "checkpoint": 0, "reason": white},
    ]
    assert {f["family"] for f in summary["families"]} == {
        "repetition",
        "null-answer",
        "black-box-search",
    }
    html = result.paths["html"].read_text()
    assert f"gcg on checkpoint 0: {white}" in html
    assert "textattack-beam: attack &#39;textattack-beam&#39; needs textattack" in html
    markdown = result.paths["markdown"].read_text()
    assert f"- {escape_md(f'gcg on checkpoint 0: {white}', 300)}" in markdown
    code, out, _ = rmh("gate", str(folder))
    assert code in (0, 1)
    assert f"  skipped: gcg on checkpoint 0: {white}" in out.splitlines()
    assert f"  skipped: textattack-beam: {extra}" in out.splitlines()


def test_html_is_self_contained(tiny_run, tmp_path):
    html = build_report(tiny_run, policy=GatePolicy(), out=tmp_path).paths["html"].read_text()
    assert "<script" not in html
    assert "http://" not in html and "https://" not in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert "default-src 'none'" in html


def test_report_is_rebuilt_byte_identical_from_the_log(tiny_run, tmp_path):
    first = build_report(tiny_run, policy=GatePolicy(), out=tmp_path / "a")
    second = build_report(tiny_run, policy=GatePolicy(), out=tmp_path / "b")
    for key in FILES:
        assert first.paths[key].read_bytes() == second.paths[key].read_bytes(), key


def test_baseline_shows_deltas_and_flags_regressions(rewrite_log, copy_run, tmp_path):
    # The baseline's null-answer attempts all fail and this run's all succeed: a regression
    # of 100 points, whatever the tiny run itself found.
    better, worse = copy_run("better"), copy_run("worse")

    def null_answers_with(findings):
        def edit(entry):
            if entry["type"] == "attempt" and entry.get("family") == "null-answer":
                return entry | {"findings": findings}
            return entry

        return edit

    rewrite_log(better, null_answers_with(0))
    rewrite_log(worse, null_answers_with(1))
    policy = load_policy(None)
    assert policy.defaults.max_regression < 1.0
    result = build_report(worse, policy=policy, baseline=better, out=tmp_path)
    summary = json.loads(result.paths["summary"].read_text())
    rows = {r["family"]: r for r in summary["baseline"]["families"]}
    now = next(f for f in summary["families"] if f["family"] == "null-answer")
    assert rows["null-answer"]["asr"] == 1.0 == now["asr"]
    assert rows["null-answer"]["delta"] == 1.0
    assert rows["null-answer"]["regression"] is True
    assert result.verdict.status == "fail"
    assert any(
        c.kind == "regression" and c.family == "null-answer" and c.status == "fail"
        for c in result.verdict.checks
    )
    assert "regression" in result.paths["html"].read_text()


def test_baseline_on_another_suite_is_refused_unless_allowed(
    rewrite_log, copy_run, tiny_run, tmp_path
):
    other = copy_run("other-suite")

    def rename_suite(entry):
        if entry["type"] == "init":
            entry["suite"] = entry["suite"] | {"name": "other", "text": "name = 'other'"}
        return entry

    rewrite_log(other, rename_suite)
    with pytest.raises(HarnessError, match="--allow-suite-mismatch"):
        build_report(tiny_run, policy=GatePolicy(), baseline=other, out=tmp_path)
    build_report(
        tiny_run, policy=GatePolicy(), baseline=other, allow_suite_mismatch=True, out=tmp_path
    )


def test_cli_report_and_gate(rmh, tiny_run, tmp_path):
    code, out, _err = rmh("report", str(tiny_run), "--out", str(tmp_path))
    assert code == 0
    assert (tmp_path / "report.html").is_file()
    first_line = out.splitlines()[0]
    assert first_line.startswith("gate: ")
    code, out, _err = rmh("gate", str(tiny_run))
    assert out.splitlines()[0] == first_line
    assert code in (0, 1)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert code == summary["verdict"]["exit_code"]


def test_cli_gate_exit_codes_follow_the_policy(rmh, tiny_run, tmp_path):
    lenient = tmp_path / "lenient.toml"
    lenient.write_text(
        "min_clean_accuracy = 0.0\ninconclusive = 'pass'\n[defaults]\nmax_asr = 1.0\n"
    )
    strict = tmp_path / "strict.toml"
    strict.write_text("min_clean_accuracy = 0.999\n[defaults]\nmin_samples = 1\n")
    assert rmh("gate", str(tiny_run), "--policy", str(lenient))[0] == 0
    code, out, _ = rmh("gate", str(tiny_run), "--policy", str(strict))
    assert code == 1
    assert "clean accuracy" in out and "FAIL" in out


def test_run_folder_without_a_log_is_one_line(rmh, one_line_error, tmp_path):
    (tmp_path / "empty").mkdir()
    for command in ("report", "gate"):
        code, _out, err = rmh(command, str(tmp_path / "empty"))
        one_line_error(code, err, "has no log.jsonl")
        code, _out, err = rmh(command, str(tmp_path / "missing"))
        one_line_error(code, err, "no run folder")


def test_truncated_log_is_reported_then_flagged(rmh, one_line_error, copy_run, tmp_path):
    cut = copy_run("cut")
    path = cut / LOG_NAME
    lines = path.read_text().splitlines()
    middle = len(lines) // 2
    path.write_text("\n".join(lines[:middle]) + "\n" + lines[middle][:25])
    code, _out, err = rmh("report", str(cut))
    one_line_error(code, err, "is incomplete")
    html = (cut / "report.html").read_text()
    assert 'id="incomplete"' in html and "cut line" in html
    summary = json.loads((cut / "summary.json").read_text())
    assert summary["run"]["complete"] is False and summary["run"]["truncated"] is True
    code, _out, err = rmh("gate", str(cut))
    one_line_error(code, err, "no verdict on a partial run")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("confidence = 2.0", "confidence"),
        ("[defaults]\nmax_asr = 'high'", "defaults.max_asr"),
        ("[defaults]\nmax_sar = 0.1", "unknown key; allowed keys: max_asr"),
        ("[families.nonsense]\nmax_asr = 0.1", "unknown family 'nonsense'"),
        ("inconclusive = 'maybe'", "inconclusive"),
        ("min_clean_accuracy = [", "not valid TOML"),
    ],
)
def test_malformed_policy_is_one_line_naming_the_key(
    rmh, one_line_error, tiny_run, tmp_path, text, fragment
):
    policy = tmp_path / "gate.toml"
    policy.write_text(text + "\n")
    code, _out, err = rmh("gate", str(tiny_run), "--policy", str(policy))
    one_line_error(code, err, fragment)


def test_example_policy_parses():
    from pathlib import Path

    policy = load_policy(Path(__file__).resolve().parents[2] / "gate.toml")
    assert policy.rule("gradient").max_asr == 0.9
    assert policy.rule("emoji").max_asr == policy.defaults.max_asr
