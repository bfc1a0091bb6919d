"""The demo job end to end, and the bundled data it trains on."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.demo import build
from harness.demo.build import gold_pairs, heldout_pairs, train_pairs
from harness.experiments.rounds.split import prompt_key

DEGENERATE_MARKERS = ("the the the", "10/10", "\u200b")

# The quick suite's prompts, judges and probe with its cheap attacks (the templates and
# the fuzzer): the command under test is `rmh demo` from nothing; the quick suite's token
# searches (gcg, greedy: minutes here) are tested on their own, and the README's command
# runs them. Of the templates only repetition and padding find holes in the demo RM.
FIRST_SUITE = """
name = "first"
seed = 0
[data]
source = "demo:heldout"
sample = 6
[judges.heuristic]
[judges.gold-rm]
checkpoint = "gold-demo"
margin = "calibrate"
[instability]
enabled = true
pairs = 40
[[attacks]]
name = "repetition"
budget = 100
[[attacks]]
name = "length-padding"
budget = 60
[[attacks]]
name = "self-praise"
budget = 60
[[attacks]]
name = "unicode"
budget = 60
[[attacks]]
name = "master-key"
budget = 60
[[attacks]]
name = "hypothesis-fuzz"
budget = 150
"""

SMALL_SUITE = """
name = "small"
[data]
source = "demo:heldout"
sample = 2
[judges]
heuristic = true
[instability]
enabled = false
[[attacks]]
name = "null-answer"
budget = 10
"""


def test_bundled_data_is_split_by_joke_and_plausible():
    train, heldout = train_pairs(), heldout_pairs()
    assert len(train) > 1000 and len(heldout) > 150
    assert not {p.chosen for p in train} & {p.chosen for p in heldout}
    kinds = collections.Counter(p.meta["kind"] for p in train)
    assert set(kinds) >= {
        "fact",
        "refusal",
        "off_topic",
        "cut_punchline",
        "swapped_punchline",
        "explanation",
        "wrong_topic",
        "mangled",
        "spliced",
    }
    for pair in train + gold_pairs() + heldout:
        assert pair.chosen != pair.rejected
        assert not any(marker in pair.rejected for marker in DEGENERATE_MARKERS)


def test_the_three_parts_share_no_prompt_and_no_joke():
    """The demo RM (train), the gold RM (gold) and every held-out measure (heldout) each
    read a part of their own: no prompt, in any spelling, and no joke, chosen or borrowed
    into a rejected answer, is in two parts."""
    parts = {"train": train_pairs(), "gold": gold_pairs(), "heldout": heldout_pairs()}
    assert len(parts["gold"]) > 150
    prompts = {name: {prompt_key(p.prompt) for p in pairs} for name, pairs in parts.items()}
    jokes = {name: {p.chosen for p in pairs} for name, pairs in parts.items()}
    texts = {
        name: [t for p in pairs for t in (p.chosen, p.rejected)] for name, pairs in parts.items()
    }
    for name, other in (("train", "gold"), ("train", "heldout"), ("gold", "heldout")):
        assert not prompts[name] & prompts[other], (name, other)
        assert not jokes[name] & jokes[other], (name, other)
        for a, b in ((name, other), (other, name)):
            assert not [j for j in jokes[a] for t in texts[b] if j in t], (a, b)
    # The held-out part keeps its size: the rounds demo's attack and evaluation prompts.
    assert len(prompts["heldout"]) >= 50
    assert len({p.meta["topic"] for p in parts["heldout"]}) >= 8


def test_each_recipe_trains_on_its_own_part():
    assert build.recipe_pairs(build.DEMO) == train_pairs()
    gold = build.recipe_pairs(build.GOLD)
    clean = [p for p in gold if p.meta.get("kind") != "degenerate"]
    assert clean == gold_pairs() and len(gold) == 2 * len(clean)
    heldout = {prompt_key(p.prompt) for p in heldout_pairs()}
    for recipe in (build.DEMO, build.GOLD):
        assert not heldout & {prompt_key(p.prompt) for p in build.recipe_pairs(recipe)}


def test_the_surrogate_is_the_demo_recipe_with_another_seed_and_its_own_folder():
    """A transfer's default surrogate: the target's data and config, not its weights, and
    neither the target nor the judge."""
    surrogate = build.DEMO_CHECKPOINTS["surrogate-demo"]
    assert build.recipe_pairs(surrogate) == train_pairs()
    assert dataclasses.replace(surrogate.config, seed=build.DEMO.config.seed) == build.DEMO.config
    assert surrogate.config.seed not in (build.DEMO.config.seed, build.GOLD.config.seed)
    assert len({build.demo_key(r) for r in build.DEMO_CHECKPOINTS.values()}) == 3


def test_a_recipes_cache_key_follows_its_own_data_file(tmp_path, monkeypatch):
    """A changed split changes the key of the recipe whose data changed (a stale model is
    never reused), and only that one."""
    for name in (build.DEMO.data, build.GOLD.data, "jokes_heldout.jsonl"):
        (tmp_path / name).write_bytes(build.data_path(name).read_bytes())
    monkeypatch.setattr(build, "data_path", lambda name: tmp_path / name)
    before = {r.name: build.demo_key(r) for r in (build.DEMO, build.GOLD)}
    assert before["demo"] != before["gold"]

    def edit(name: str) -> dict[str, str]:
        path = tmp_path / name
        path.write_text(path.read_text().replace("joke", "Joke", 1))
        return {r.name: build.demo_key(r) for r in (build.DEMO, build.GOLD)}

    assert edit("jokes_heldout.jsonl") == before  # no recipe trains on it
    after_gold = edit(build.GOLD.data)
    assert after_gold["gold"] != before["gold"] and after_gold["demo"] == before["demo"]
    after_train = edit(build.DEMO.data)
    assert after_train["demo"] != before["demo"] and after_train["gold"] == after_gold["gold"]


def test_two_builders_at_once_train_once(tmp_path, monkeypatch):
    """Two processes (here threads, each with its own lock file handle) asking for the same
    demo RM at once: one trains, the other waits and reuses its checkpoint."""
    import threading
    import time

    monkeypatch.setenv("RMH_CACHE_DIR", str(tmp_path))
    trained = []

    def slow_train(recipe, target, progress):
        trained.append(recipe.name)
        time.sleep(0.3)  # long enough for the other builder to arrive while this one trains
        target.mkdir(parents=True)
        summary = {"build_seconds": 0.3}
        (target / "rmh_demo.json").write_text(json.dumps(summary))
        return summary

    monkeypatch.setattr(build, "_train", slow_train)
    results = []
    builders = [
        threading.Thread(target=lambda: results.append(build.build_demo_checkpoint()))
        for _ in range(2)
    ]
    for builder in builders:
        builder.start()
    for builder in builders:
        builder.join()
    assert trained == ["demo"]
    assert sorted(r.built for r in results) == [False, True]
    assert results[0].path == results[1].path


def test_demo_data_script_reproduces_the_committed_files(tmp_path):
    """The committed JSONL is exactly what the generator writes (no hand edits)."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[3] / "scripts" / "make_demo_data.py"
    spec = importlib.util.spec_from_file_location("make_demo_data", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.build()
    assert [(part, name) for part, _share, name in module.PARTS] == [
        ("heldout", "jokes_heldout.jsonl"),
        ("gold", build.GOLD.data),
        ("train", build.DEMO.data),
    ]
    for part, loader in (("train", train_pairs), ("gold", gold_pairs), ("heldout", heldout_pairs)):
        assert [json.dumps(r, ensure_ascii=False) for r in rows[part]] == [
            json.dumps(
                {"prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected, **p.meta},
                ensure_ascii=False,
            )
            for p in loader()
        ], part


@pytest.mark.slow
@pytest.mark.xdist_group("demo-rms")  # with the other tests that need the demo RMs built
def test_rmh_demo_builds_attacks_and_replays(tmp_path):
    """`rmh demo`: trains both RMs (or reuses them), saves safetensors, reloads, runs a suite.

    It writes a run folder with a run log, findings and the report, and prints the gate's
    verdict. A second run reuses the cached checkpoint, and replays the first run's
    findings before it searches.

    The cache is the test environment's own (``RMH_CACHE_DIR``) when one is set: training
    both RMs takes minutes on CI's cores, and the other tests need the same two. Whichever
    process asks first trains them (under a lock; the others wait), so from an empty cache
    this test or another one trains them; either way the checkpoints are checked here.
    """
    from harness.runlog import LOG_NAME, FindingEntry, ReplayEntry, read_log

    cache = Path(os.environ.get("RMH_CACHE_DIR") or tmp_path / "cache")
    env = {**os.environ, "RMH_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    work = tmp_path / "work"
    work.mkdir()
    (work / "first.toml").write_text(FIRST_SUITE)
    command = [sys.executable, "-m", "harness.cli", "demo", "--quiet"]
    first = subprocess.run(
        [*command, "--out", "runs/first", "--suite", "first.toml"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=1800,
    )
    assert first.returncode == 0, first.stderr
    built = "built demo reward model" in first.stdout
    assert built or "reused cached demo reward model" in first.stdout, first.stdout
    assert "the hole, before any search: 'python python" in first.stdout
    accuracy, chance = _clean_figures(first.stdout)
    assert accuracy >= 80.0, first.stdout
    assert chance <= 10.0, first.stdout
    from harness.demo.build import GOLD, demo_key

    checkpoint = cache / f"demo-rm-{demo_key()}"
    assert (checkpoint / "model.safetensors").is_file()
    assert not list(checkpoint.glob("*.bin"))
    for made in (checkpoint, cache / f"gold-rm-{demo_key(GOLD)}"):  # demo and gold, each timed
        assert json.loads((made / "rmh_demo.json").read_text())["build_seconds"] > 0

    log = read_log(work / "runs" / "first" / LOG_NAME)
    assert log.complete and not log.truncated
    findings = log.of_type(FindingEntry)
    assert findings, first.stdout
    assert len({f.family for f in findings}) >= 3
    assert (work / "runs" / "findings.db").is_file()
    assert (work / "runs" / "first" / "report.html").is_file()
    assert "gate: " in first.stdout and "report: runs/first/report.html" in first.stdout

    # The second demo runs a one-attack suite: what it must show is the replay.
    (work / "small.toml").write_text(SMALL_SUITE)
    second = subprocess.run(
        [*command, "--out", "runs/second", "--suite", "small.toml"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=1800,
    )
    assert second.returncode == 0, second.stderr
    assert "reused cached demo reward model" in second.stdout
    assert _clean_figures(second.stdout) == (accuracy, chance)
    from harness.store import FindingStore

    second_log = read_log(work / "runs" / "second" / LOG_NAME)
    replays = second_log.of_type(ReplayEntry)
    assert second_log.init is not None
    with FindingStore.open(work / "runs" / "findings.db") as store:  # first run's exploits,
        horizon = second_log.init.replay_horizon  # one representative per prompt each
        expected = {r.id for r in store.representatives(up_to_id=horizon)}
        exploits = {r.exploit_id for r in store.representatives(up_to_id=horizon)}
    assert {r.finding_id for r in replays} == expected
    assert len(exploits) >= len({f.family for f in findings})
    assert "replay:" in second.stdout


def _clean_figures(text: str) -> tuple[float, float]:
    """(accuracy %, chance %) from "checkpoint 0: held-out accuracy X% (n=N), chance rate Y%"."""
    match = re.search(r"held-out accuracy ([\d.]+)% .*chance rate ([\d.]+)%", text)
    assert match, text
    return float(match.group(1)), float(match.group(2))
