"""Each arm's store starts as a copy of round 0's: ``FindingStore.copy_to``."""

from __future__ import annotations

from harness.core.finding import Finding
from harness.store import FindingStore


def finding(text: str) -> Finding:
    return Finding(
        kind="finding",
        prompt="Tell me a joke about owls.",
        reference="Why are owls wise? They give a hoot.",
        text=text,
        family="repetition",
        attack="repetition",
        reasons=("repeats",),
        score=1.0,
        reference_score=0.0,
        detail={"seed": 0},
    )


def test_a_copy_holds_what_the_store_holds_and_goes_its_own_way(tmp_path):
    source, target = tmp_path / "findings.db", tmp_path / "findings" / "findings.db"
    with FindingStore.open(source) as store:
        store.record([finding("haha haha haha")], run_id="r0", checkpoint="ck0")
        (tmp_path / "findings" / ".findings.db.copy").parent.mkdir()
        (tmp_path / "findings" / ".findings.db.copy").write_text("left by a killed copy")
        assert store.copy_to(target) == target
        store.record([finding("lol lol lol lol")], run_id="r1", checkpoint="ck0")
    assert not (tmp_path / "findings" / ".findings.db.copy").exists()
    with FindingStore.open(target) as copy:
        assert [f.finding.text for f in copy.findings()] == ["haha haha haha"]
        assert copy.integrity_ok()
        copy.record([finding("yes yes yes yes")], run_id="r1", checkpoint="ck1")
    with FindingStore.open(source) as store:
        texts = sorted(f.finding.text for f in store.findings())
        assert texts == ["haha haha haha", "lol lol lol lol"]
