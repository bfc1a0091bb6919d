"""Replay's representatives as of a horizon: the same ids however the store grows after it."""

from __future__ import annotations

import random

from harness.store import FindingStore, Sighting, StoredFinding
from tests.harness.core.test_exploits import REFS, SUFFIX, chain, constructed
from tests.harness.store.test_store_exploits import news


def ids(rows: list[StoredFinding]) -> list[tuple[int, int]]:
    return [(r.exploit_id, r.id) for r in rows]


def test_a_later_bridge_merges_the_exploits_but_not_the_horizons_representatives(tmp_path):
    a, b, c, d = chain()  # only neighbours are within the threshold
    with FindingStore.open(tmp_path / "f.db") as store:
        store.record(
            news([(REFS[0], a, "soup"), (REFS[0], d, "soup")]), run_id="r1", checkpoint="c"
        )
        horizon = store.max_finding_id()
        before = ids(store.representatives(up_to_id=horizon))
        assert before == [(1, 1), (2, 2)]
        store.record(
            news([(REFS[0], b, "soup"), (REFS[0], c, "soup")]), run_id="r2", checkpoint="c"
        )
        assert len(store.exploits()) == 1  # b and c bridged a and d
        assert len(store.representatives()) == 1  # now: one exploit, one prompt
        assert ids(store.representatives(up_to_id=horizon)) == before


def test_an_exploit_merged_after_the_horizon_is_split_as_it_was(tmp_path):
    a, b, c, d = chain()
    with FindingStore.open(tmp_path / "f.db") as store:
        for text in (a, d, c):  # c joins d's exploit; a stays apart
            store.record(news([(REFS[0], text, "soup")]), run_id="r1", checkpoint="c")
        horizon = store.max_finding_id()
        before = ids(store.representatives(up_to_id=horizon))
        assert [exploit for exploit, _ in before] == [1, 2]
        store.record(news([(REFS[0], b, "soup")]), run_id="r2", checkpoint="c")  # a-b-c-d
        assert [e.size for e in store.exploits()] == [4]
        assert ids(store.representatives(up_to_id=horizon)) == before


def test_a_margin_raised_after_the_horizon_does_not_change_the_representative(tmp_path):
    rows = [(REFS[1], "great great great", "repetition"), (REFS[1], "great great", "repetition")]
    with FindingStore.open(tmp_path / "f.db") as store:
        store.record(news(rows), run_id="r1", checkpoint="c")  # the second has the higher margin
        horizon = store.max_finding_id()
        (before,) = store.representatives(up_to_id=horizon)
        assert before.id == 2
        store.record(news(rows[:1], score=9.0), run_id="r2", checkpoint="c")  # found again
        assert store.representatives()[0].id == 1  # the store's view moved on
        assert ids(store.representatives(up_to_id=horizon)) == [(before.exploit_id, 2)]


def test_the_horizon_answers_as_a_store_holding_only_those_findings_would(tmp_path):
    rows = constructed()
    random.Random(7).shuffle(rows)
    cut = len(rows) // 2
    with (
        FindingStore.open(tmp_path / "grown.db") as grown,
        FindingStore.open(tmp_path / "then.db") as then,
    ):
        for start in range(0, cut, 6):
            batch = news(rows[start : min(start + 6, cut)])
            grown.record(batch, run_id="r1", checkpoint="c")
            then.record(batch, run_id="r1", checkpoint="c")
        horizon = grown.max_finding_id()
        grown.record(news(rows[cut:], score=3.0), run_id="r2", checkpoint="c")
        grown.record(news(rows[:cut], score=4.0), run_id="r2", checkpoint="c")  # found again
        assert ids(grown.representatives(up_to_id=horizon)) == ids(then.representatives())
        assert ids(grown.representatives(up_to_id=horizon)) != ids(grown.representatives())


def test_an_exploit_is_open_while_one_of_its_replayed_representatives_is(tmp_path):
    rows = [(ref, ref + SUFFIX, "self-praise") for ref in REFS[:3]]  # one trick, three prompts
    with FindingStore.open(tmp_path / "f.db") as store:
        store.record(news(rows), run_id="r1", checkpoint="fp-1")
        reps = store.representatives()
        assert len(reps) == 3 and len({r.exploit_id for r in reps}) == 1
        (exploit,) = store.exploits()
        weakest = min(reps, key=lambda r: r.margin).id
        assert weakest != exploit.representative

        def replay(run: str, still_open: set[int]) -> list[str | None]:
            sightings = [
                Sighting(r.id, 1.0 if r.id in still_open else -1.0, 0.0, r.id in still_open)
                for r in reps
            ]
            store.record_replay(sightings, run_id=run, checkpoint="fp-2")
            return [e.status for e in store.exploits(checkpoint="fp-2")]

        assert replay("r2", {weakest}) == ["open"]  # the trick still works on one prompt
        assert replay("r3", set()) == ["closed"]
