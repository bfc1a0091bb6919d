"""``rmh judges validate``: the bundled set with the heuristic judge (fast) and gold-demo
(slow: it may build the demo's gold RM), a user's labels, and bad input."""

from __future__ import annotations

import json
import re

import pytest

from harness.judges.labelled import LabelledRow, write_labelled


def test_heuristic_on_the_bundled_set(rmh, tmp_path):
    code, out, err = rmh("judges", "validate", "--judge", "heuristic", "--out", str(tmp_path))
    assert code == 0, err
    assert "judging 1239 labelled rows" in out
    for kind in ("all bad", "good", "soup", "repetition", "template", "shuffled", "off-topic"):
        assert kind in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["kind"] == "judges-validation" and summary["rows"] == 1239
    assert summary["kinds"]["shuffled"] == {"rows": 177, "bad": 177}
    (heuristic,) = summary["judges"]
    assert heuristic["judge"] == "heuristic"
    shuffled = next(k for k in heuristic["kinds"] if k["kind"] == "shuffled")
    assert shuffled["rows"] == 177 and shuffled["recall"]["trials"] == 177
    assert "| heuristic | good |" in (tmp_path / "report.md").read_text()


def test_a_users_labels_without_kinds(rmh, tmp_path):
    path = tmp_path / "mine.jsonl"
    rows = [
        LabelledRow("Tell me a joke.", "A real joke here.", "the the the the the the the", 1),
        LabelledRow("Tell me a joke.", "A real joke here.", "Another perfectly fine joke.", 0),
    ]
    write_labelled(rows, path)
    path.write_text(path.read_text().replace(', "kind": "all"', ""))
    code, out, err = rmh("judges", "validate", "--data", str(path), "--judge", "heuristic")
    assert code == 0, err
    assert re.search(r"heuristic +all +2 ", out) and "100.0%" in out, out


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('{"prompt": "p", "reference": "r", "label": 1}', ":1: missing field 'text'"),
        ('{"prompt": "p", "reference": "r", "text": "t", "label": 2}', ":1: label must be 0"),
        ("not json", ":1: malformed JSON"),
    ],
)
def test_bad_labels_are_one_line(rmh, one_line_error, tmp_path, line, fragment):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    code, _out, err = rmh("judges", "validate", "--data", str(path), "--judge", "heuristic")
    one_line_error(code, err, fragment)


def test_unreadable_file_and_unknown_judge_are_one_line(rmh, one_line_error, tmp_path):
    code, _out, err = rmh("judges", "validate", "--data", str(tmp_path / "none.jsonl"))
    one_line_error(code, err, "does not exist")
    code, _out, err = rmh("judges", "validate", "--judge", "nosuch")
    one_line_error(code, err, "nosuch")
    code, _out, err = rmh("judges", "validate", "--judge", "heuristic:max_repetition")
    one_line_error(code, err, "is not KEY=VALUE")


@pytest.mark.slow
@pytest.mark.xdist_group("demo-rms")
def test_gold_demo_and_heuristic_on_the_bundled_set(rmh, tmp_path):
    """The demo's gold RM through the command, on a seeded 40 of the set's 177 pairs (the
    whole set takes minutes on CI's cores; the rates' code is the same).

    On the worker of ``rmh demo``'s test (``xdist_group``): from an empty cache one of them
    trains the demo RMs, and the other would sit idle on the build lock on the other core.
    """
    from harness.runner.judge_validation import bundled_rows, sample_pairs

    data = tmp_path / "sample.jsonl"
    write_labelled(sample_pairs(bundled_rows(), 40, seed=0), data)
    code, out, err = rmh(
        "judges",
        "validate",
        "--data",
        str(data),
        "--judge",
        "heuristic",
        "--judge",
        "gold-rm:checkpoint=gold-demo",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    assert "calibrating judge gold-rm on 252 clean pairs" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    names = [j["judge"] for j in summary["judges"]]
    assert names == ["heuristic", "gold-rm", "any judge"]
    gold = summary["judges"][1]
    assert isinstance(gold["params"]["margin"], float)  # calibrated (on the train split)
    assert gold["recall"]["trials"] == 40 * 6 and gold["false_positive_rate"]["trials"] == 40
    assert summary["calibration"] == "252 pairs of the demo's train split"


def test_reviewed_labels_export_and_validate(rmh, tmp_path):
    """The review round trip: queue, export, a reviewer labels, labelled rows, validate."""
    from harness.judges import ReviewQueue
    from harness.judges.labelled import read_labelled

    queue = ReviewQueue()
    queue.judge("Tell me a joke.", "A real joke here.", ["zz zz zz zz zz zz zz", "A fine joke."])
    queue_file = tmp_path / "queue.csv"
    assert queue.export(queue_file) == 2
    text = queue_file.read_text().splitlines()
    reviewed = tmp_path / "reviewed.csv"
    reviewed.write_text("\n".join([text[0], text[1] + "bad", text[2] + "ok"]) + "\n")
    out = tmp_path / "labelled.jsonl"
    code, said, err = rmh("judges", "review", "export", str(reviewed), "--out", str(out))
    assert code == 0, err
    assert "wrote 2 labelled rows" in said
    rows = read_labelled(out)
    assert [(r.text, r.label, r.kind, r.reference) for r in rows] == [
        ("zz zz zz zz zz zz zz", 1, "reviewed", "A real joke here."),
        ("A fine joke.", 0, "reviewed", "A real joke here."),
    ]
    code, said, err = rmh("judges", "validate", "--data", str(out), "--judge", "heuristic")
    assert code == 0, err
    assert re.search(r"heuristic +reviewed +2 ", said), said


def test_review_export_needs_references(rmh, one_line_error, tmp_path):
    reviewed = tmp_path / "reviewed.jsonl"
    reviewed.write_text('{"prompt": "p", "candidate": "c", "label": "bad"}\n')
    code, _out, err = rmh("judges", "review", "export", str(reviewed), "--out", "x.jsonl")
    one_line_error(code, err, "have no reference")
    code, _out, err = rmh("judges", "review", "export", str(tmp_path / "no"), "--out", "x")
    one_line_error(code, err, "does not exist")


def test_judge_specs_on_the_command_line():
    from harness.cli.attack import parse_judge

    assert parse_judge("heuristic").params == {}
    gold = parse_judge("gold-rm:checkpoint=gold-demo,margin=0.5")
    assert (gold.name, gold.params) == ("gold-rm", {"checkpoint": "gold-demo", "margin": 0.5})
    ensemble = parse_judge('ensemble:checkpoints=["a/","b/"],quorum=0.5')
    assert ensemble.params == {"checkpoints": ["a/", "b/"], "quorum": 0.5}


@pytest.mark.slow
def test_fluency_on_a_seeded_sample_of_the_bundled_set(rmh, tmp_path):
    """The real fluency judge (SmolLM2) through the same command, on 5 pairs x 7 kinds."""
    from harness.models.shipped import policy_missing
    from harness.runner.judge_validation import bundled_rows, sample_pairs

    if policy_missing():
        pytest.skip(f"the fluency judge's LM cannot run here: {policy_missing()}")
    data = tmp_path / "sample.jsonl"
    write_labelled(sample_pairs(bundled_rows(), 5, seed=0), data)
    code, out, err = rmh(
        "judges", "validate", "--data", str(data), "--judge", "fluency", "--out", str(tmp_path)
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "summary.json").read_text())
    fluency = summary["judges"][0]
    assert fluency["judge"] == "fluency" and fluency["params"]["margin"] == 2.35
    assert fluency["recall"]["trials"] == 30 and fluency["false_positive_rate"]["trials"] == 5
    assert "fluency" in out and "shuffled" in out
