"""The library's seeds: one per exploit, never read from the attacked prompts' findings,
ranked by transfer (prompts, then open sightings, then margin), as of a horizon."""

from __future__ import annotations

import pytest

from harness.core.errors import HarnessError
from harness.store import FindingStore, Sighting
from tests.harness.core.test_exploits import REFS, SUFFIX
from tests.harness.store.test_store_exploits import news

RUN = {"run_id": "r", "checkpoint": "c"}
NEW_REFERENCE = "A brand new joke."


def prompt(i: int) -> str:
    return f"prompt {i}"  # what ``news`` names the prompt of REFS[i]


def placed(library) -> list[str]:
    return [seed.placed(NEW_REFERENCE) for seed in library.seeds]


def test_an_exploit_found_on_three_prompts_comes_before_one_found_on_one_with_a_higher_margin(
    tmp_path,
):
    with FindingStore.open(tmp_path / "f.db") as store:
        store.record(news([(ref, ref + SUFFIX, "self-praise") for ref in REFS[:3]]), **RUN)
        store.record(news([(REFS[3], "great great great great", "repetition")], score=9.0), **RUN)
        library = store.library(exclude_prompts={"another prompt"}, limit=16)
    first, second = library.seeds
    assert (first.prompts, second.prompts) == (3, 1)
    assert first.margin < second.margin  # transfer first, margin after
    assert placed(library) == [NEW_REFERENCE + SUFFIX, "great great great great"]
    assert (first.placement, second.placement) == ("suffix", "response")
    assert library.stored == 2 and library.attacked_only == 0


def test_a_library_of_only_the_attacked_prompts_findings_gives_no_seed(tmp_path):
    with FindingStore.open(tmp_path / "f.db") as store:
        store.record(news([(ref, ref + SUFFIX, "self-praise") for ref in REFS[:2]]), **RUN)
        store.record(news([(REFS[1], "great great great great", "repetition")]), **RUN)
        library = store.library(exclude_prompts={prompt(0), prompt(1)}, limit=16)
    assert library.seeds == () and library.stored == 2 and library.attacked_only == 2


def test_a_mixed_exploit_gives_its_best_finding_from_another_prompt_and_counts_only_those(
    tmp_path,
):
    # One trick on prompts 1, 2 and (with the highest margin, last row) the attacked 0.
    trick = [(REFS[i], REFS[i] + SUFFIX, "self-praise") for i in (1, 2, 0)]
    attacked_only = [(REFS[0], "great great great great", "repetition")]
    with FindingStore.open(tmp_path / "f.db") as store:
        store.record(news(trick) + news(attacked_only, score=5.0), **RUN)
        library = store.library(exclude_prompts={prompt(0)}, limit=16)
    (seed,) = library.seeds
    assert seed.prompt == prompt(2)  # the best member on another prompt (row 2 of 3)
    assert seed.prompts == 2  # the attacked prompt's finding is not counted either
    assert seed.margin == pytest.approx(1.01)  # not the attacked member's 1.02
    assert library.attacked_only == 1
    assert (seed.placement, seed.body) == ("suffix", SUFFIX)  # REFS[2] + SUFFIX, placed anew
    assert placed(library) == [NEW_REFERENCE + SUFFIX]  # no text of the attacked prompt


def test_open_sightings_rank_before_margin_and_count_only_up_to_the_sighting_horizon(tmp_path):
    with FindingStore.open(tmp_path / "f.db") as store:
        low = store.record(news([(REFS[0], "great great great great", "repetition")]), **RUN)
        (high,) = store.record(news([(REFS[1], REFS[1] + SUFFIX, "self-praise")], score=3.0), **RUN)
        store.record_replay([Sighting(low[0].finding_id, 2.0, 1.0, True)], run_id="r2",
                            checkpoint="c2")  # fmt: skip
        horizon = store.max_sighting_id()
        ranked = store.library(exclude_prompts=(), limit=16, sightings_up_to=horizon)
        assert [s.open_sightings for s in ranked.seeds] == [1, 0]
        assert placed(ranked)[0] == "great great great great"  # replayed open, lower margin
        # Later replays (this run's own, say) do not reorder a library read as of before.
        store.record_replay(
            [Sighting(high.finding_id, 4.0, 1.0, True)], run_id="r3", checkpoint="c2"
        )
        store.record_replay(
            [Sighting(high.finding_id, 4.0, 1.0, True)], run_id="r3", checkpoint="c3"
        )
        again = store.library(exclude_prompts=(), limit=16, sightings_up_to=horizon)
        assert again == ranked
        now = store.library(exclude_prompts=(), limit=16)
        assert placed(now)[0] == NEW_REFERENCE + SUFFIX  # two open replays now


def test_a_closed_replay_is_not_an_open_sighting(tmp_path):
    with FindingStore.open(tmp_path / "f.db") as store:
        (row,) = store.record(news([(REFS[0], "great great great great", "repetition")]), **RUN)
        store.record_replay([Sighting(row.finding_id, 0.0, 1.0, False)], run_id="r2",
                            checkpoint="c2")  # fmt: skip
        (seed,) = store.library(exclude_prompts=(), limit=16).seeds
    assert seed.open_sightings == 0


def test_the_horizon_leaves_out_later_findings_and_the_limit_keeps_the_best(tmp_path):
    with FindingStore.open(tmp_path / "f.db") as store:
        store.record(news([(ref, ref + SUFFIX, "self-praise") for ref in REFS[:2]]), **RUN)
        store.record(news([(REFS[2], "great great great great", "repetition")]), **RUN)
        horizon = store.max_finding_id()
        before = store.library(exclude_prompts=(), limit=16, up_to_id=horizon)
        store.record(news([(ref, ref + SUFFIX, "self-praise") for ref in REFS[2:]]), **RUN)
        store.record(news([(REFS[4], "ha ha ha ha ha ha", "repetition")]), **RUN)
        assert store.library(exclude_prompts=(), limit=16, up_to_id=horizon) == before
        assert len(store.library(exclude_prompts=(), limit=16).seeds) == 3
        (best,) = store.library(exclude_prompts=(), limit=1).seeds
    assert best.prompts == 5 and best.body == SUFFIX
    assert [s.prompts for s in before.seeds] == [2, 1]


def test_an_empty_store_gives_no_seed_and_a_bad_limit_is_refused(tmp_path):
    with FindingStore.open(tmp_path / "f.db") as store:
        library = store.library(exclude_prompts=(), limit=4)
        assert library.seeds == () and library.stored == 0
        with pytest.raises(HarnessError, match="library seeds must be > 0"):
            store.library(exclude_prompts=(), limit=0)
    assert "SeedLibrary(seeds=0" in repr(library)


def test_an_attacked_prompts_finding_never_bridges_two_exploits_into_one(tmp_path):
    # A ~ B and B ~ C (signature distance 0.49 and 0.51, under the clustering threshold)
    # but A and C apart (0.77): in the store B makes them one exploit. B is on the attacked
    # prompt, so the library must cluster A and C without it: two seeds, one prompt each.
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike"
    words = (words + " november oscar papa quebec romeo").split()
    a, b, c = (" ".join(words[start : start + 12]) for start in (0, 3, 6))
    rows = [(REFS[1], a, "random-search"), (REFS[0], b, "random-search")]
    rows.append((REFS[2], c, "random-search"))
    with FindingStore.open(tmp_path / "f.db") as store:
        store.record(news(rows), **RUN)
        assert len(store.exploits()) == 1  # bridged by B in the store
        library = store.library(exclude_prompts={prompt(0)}, limit=16)
    assert sorted(placed(library)) == sorted([a, c])
    assert [seed.prompts for seed in library.seeds] == [1, 1]
    assert library.stored == 1 and library.attacked_only == 0
