"""Attack paths read through the recording scorer, on a planted exploit: the proxy climbs
by stuffing planted words, the gold (which penalises them) falls, the judges confirm."""

from __future__ import annotations

import numpy as np

from attacks.registry import get_attack
from harness.experiments.sweep.result import Scales
from harness.experiments.sweep.trajectory import (
    RecordingScorer,
    TrajectoryConfig,
    edits,
    incumbents,
    run_trajectories,
)
from harness.models import CallableRewardModel
from harness.scoring import Scorer
from harness.testing import PlantedRewardModel, planted_gold_judge_model

REFERENCE = "Why did the cat sit on the computer? To watch the mouse."
PROMPT = "Tell me a joke about cats."


def test_the_recording_scorer_sees_what_the_attack_scored_and_counts_the_same():
    planted = PlantedRewardModel.default()
    plain = Scorer(CallableRewardModel(planted))
    recorder = RecordingScorer(model=plain.model)
    attack = get_attack("random-search")(mode="suffix", batch=8)
    outcome = attack.run(recorder, PROMPT, REFERENCE, budget=64, seed=3)
    again = attack.run(plain, PROMPT, REFERENCE, budget=64, seed=3)
    assert (outcome.best_text, outcome.queries) == (again.best_text, again.queries)
    assert recorder.trace[0][1] == (REFERENCE,)  # the reference is scored first
    assert sum(len(texts) for _, texts, _ in recorder.trace) == outcome.evaluated + 1
    path = incumbents(recorder.trace)
    assert path[0][1] == REFERENCE and path[-1][1] == outcome.best_text
    proxies = [p for _, _, p in path[1:]]
    assert proxies == sorted(proxies) and len(set(proxies)) == len(proxies)  # strict climb
    queries = [q for q, _, _ in path]
    assert queries == sorted(queries) and queries[-1] <= 64


def test_on_a_planted_exploit_gold_peaks_at_the_reference_and_nonsense_is_confirmed():
    # 200 of the 3,000 search words are planted: every search finds some within its budget
    planted = PlantedRewardModel.default(n_planted=200)
    proxy = Scorer(CallableRewardModel(planted))
    gold = Scorer(CallableRewardModel(planted_gold_judge_model(planted)))
    config = TrajectoryConfig(attacks=("random-search", "greedy-coordinate"), budget=160, batch=16)
    result = run_trajectories(
        {PROMPT: REFERENCE, "Tell me a joke about dogs.": "A labracadabrador."},
        proxy,
        gold,
        Scales(proxy_mean=0.0, proxy_sd=1.0, gold_mean=0.0, gold_sd=1.0),
        config,
        reference_source="given",
        reference_rule="file",
    )
    assert (result.references, result.reference_rule) == ("given", "file")
    assert len(result.paths) == 4 and result.judges == ("heuristic", "gold-rm")
    for path in result.paths:
        assert path.points[0].step == 0 and path.points[0].text == path.reference
        assert path.points[-1].proxy_gain > 0  # the search found planted words
        assert path.gold_peak_step == 0  # every planted word costs gold
        assert path.first_nonsense_step is not None and path.first_nonsense_step >= 1
        assert any("gold-rm" in r for r in path.points[path.first_nonsense_step].reasons)
        assert all(p.edit_words >= 1 for p in path.points[1:])
        travelled = [p.path_edits for p in path.points]
        assert travelled[0] == 0 and travelled == sorted(travelled)
        assert travelled[-1] >= path.points[-1].edit_words  # the path is at least as long
    everything = result.summary[0]
    assert everything.attack == "all" and everything.paths == 4
    assert everything.gold_peak_step == 0 and everything.reached_nonsense == 4
    assert np.isfinite(everything.first_nonsense_queries)


def test_edit_distance_counts_words_and_characters():
    assert edits("a b c", "a x c d") == (2, 3)
