"""Library seeding in a run (``seed_from = "library"``) and a trial (``rmh attack --library``):
seeds from other prompts' exploits only, said in one line, logged, paid from the budget and
counted once, and the same library on resume however the store grew."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.core.finding import Finding
from harness.runlog import AttemptEntry, FindingEntry, RunOptions, read_log
from harness.runner import resume_run, start_run
from harness.runner.seeding import NOTHING_STORED, load_library
from harness.runner.trial import Trial, TrialSpec
from harness.store import FindingStore
from harness.suite import resolve_suite
from harness.testing import TINY_PAIRS, PlantedRewardModel

PLANTED = PlantedRewardModel.default()
WORDS = sorted(PLANTED.planted)
#: Scored texts, as (prompt, response), in order: what the attacked model was asked.
CALLS: list[tuple[str, str]] = []


def planted_reward(prompts: list[str], responses: list[str]) -> list[float]:
    CALLS.extend(zip(prompts, responses, strict=True))
    return [PLANTED.reward(r) for r in responses]


def planted_gold(prompts: list[str], responses: list[str]) -> list[float]:
    return [-PLANTED.reward(r) for r in responses]


MODEL = f"{__name__}:planted_reward"
GOLD = f"{__name__}:planted_gold"
ATTACKED = [PreferencePair(p, c, r, line=i) for i, (p, c, r) in enumerate(TINY_PAIRS[:2])]
OTHER = TINY_PAIRS[2:]  # (prompt, chosen, rejected) of prompts no run here attacks
WINNER = " ".join(WORDS[:6])  # beats any reference of the planted model
DECOY = "plain words that win nothing at all"  # stored with a high margin; loses on replay
SECRET = " ".join(WORDS[10:16])  # a finding of an attacked prompt: never to be read

SUITE = """\
name = "seeded"
seed = 0
keep = 4
seed_from = "library"
library_seeds = {seeds}

[data]
source = "pairs.jsonl"

[judges]
heuristic = false

[judges.gold-rm]
checkpoint = "{gold}"
margin = 0.5

[[attacks]]
name = "random-search"
budget = 30

[[attacks]]
name = "repetition"
budget = 6
"""


def found(prompt: str, reference: str, text: str, score: float) -> Finding:
    return Finding(prompt=prompt, reference=reference, text=text, family="black-box-search",
                   attack="random-search", score=score, reference_score=0.0,
                   reasons=("planted",))  # fmt: skip


def fill(store_path: Path, *, attacked: bool = True, other: bool = True) -> None:
    rows = []
    if other:
        rows += [found(OTHER[0][0], OTHER[0][1], WINNER, 2.0)]
        rows += [found(OTHER[1][0], OTHER[1][1], DECOY, 9.0)]
    if attacked:
        rows += [found(ATTACKED[0].prompt, ATTACKED[0].chosen, SECRET, 6.0)]
    with FindingStore.open(store_path) as store:
        store.record(rows, run_id="earlier", checkpoint="earlier")


def write_suite(folder: Path, seeds: int = 4) -> Path:
    rows = [{"prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected} for p in ATTACKED]
    (folder / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = folder / "suite.toml"
    path.write_text(SUITE.format(seeds=seeds, gold=GOLD))
    return path


def run(folder: Path, store: Path, suite: Path, notes: list[str]) -> None:
    start_run([MODEL], resolve_suite(str(suite)), folder, run_options=RunOptions(store=str(store)),
              progress="quiet", echo=lambda _: None, note=notes.append)  # fmt: skip


def starts_given(folder: Path) -> dict[str, int]:
    """Seeds given per suite attack (summed over prompts), from the attempts' detail."""
    given: dict[str, int] = {}
    for entry in read_log(folder / "log.jsonl").of_type(AttemptEntry):
        starts = entry.detail.get("starts", {})
        given[entry.attack_id] = given.get(entry.attack_id, 0) + starts.get("given", 0)
    return given


def test_a_seeded_run_starts_from_other_prompts_exploits_and_logs_which(tmp_path):
    store = tmp_path / "findings.db"
    fill(store)
    notes: list[str] = []
    CALLS.clear()
    run(tmp_path / "run", store, write_suite(tmp_path), notes)
    log = read_log(tmp_path / "run" / "log.jsonl")
    library = log.init.library
    with FindingStore.open(store) as db:
        secret_exploit = next(f.exploit_id for f in db.findings() if f.finding.text == SECRET)
    assert library.seeds == 2 and library.stored == 3 and library.attacked_only == 1
    assert secret_exploit not in library.exploit_ids and library.attacks == ("random-search",)
    assert notes == [
        "library: seeding random-search from 2 exploits of 3 stored (1 found only on prompts "
        "this run attacks left out); repetition cannot start from seeds"
    ]
    assert starts_given(tmp_path / "run") == {"random-search": 4, "repetition": 0}
    scored = [response for prompt, response in CALLS if prompt in {p.prompt for p in ATTACKED}]
    assert scored.count(WINNER) == scored.count(DECOY) == 2  # a start on each prompt
    assert scored.count(SECRET) == 1  # replayed on its own prompt, as any stored finding; no start
    seeded = [e for e in log.of_type(FindingEntry) if e.detail.get("start") == "library"]
    assert {e.text for e in seeded} == {WINNER}  # on both prompts, at the queries it took
    assert all(e.queries_at_find <= 3 for e in seeded) and len(seeded) == 2


def test_an_empty_store_and_a_library_of_only_the_attacked_prompts_proceed_and_say_so(tmp_path):
    suite = write_suite(tmp_path)
    notes: list[str] = []
    run(tmp_path / "empty", tmp_path / "empty.db", suite, notes)
    fill(tmp_path / "mine.db", other=False)
    CALLS.clear()
    run(tmp_path / "mine", tmp_path / "mine.db", suite, notes)
    assert notes == [
        NOTHING_STORED,
        "the library holds 1 exploit, all found on prompts this run attacks: seeding from "
        "none of them",
    ]
    for name in ("empty", "mine"):
        log = read_log(tmp_path / name / "log.jsonl")
        assert log.completion is not None and log.init.library.seeds == 0
        assert starts_given(tmp_path / name) == {"random-search": 0, "repetition": 0}
    assert [response for _, response in CALLS].count(SECRET) == 1  # its replay, no start


def test_without_seed_from_nothing_is_seeded_and_library_seeds_alone_is_refused(tmp_path):
    store = tmp_path / "findings.db"
    fill(store)
    suite = write_suite(tmp_path)
    text = suite.read_text().replace('seed_from = "library"\nlibrary_seeds = 4\n', "")
    suite.write_text(text)
    notes: list[str] = []
    run(tmp_path / "run", store, suite, notes)
    assert notes == [] and read_log(tmp_path / "run" / "log.jsonl").init.library is None
    assert starts_given(tmp_path / "run") == {"random-search": 0, "repetition": 0}
    suite.write_text(text.replace("keep = 4\n", "keep = 4\nlibrary_seeds = 3\n"))
    with pytest.raises(HarnessError, match=r"line 4: library_seeds: library_seeds needs seed_from"):
        resolve_suite(str(suite))


def _cut_after_attempts(folder: Path, keep: int) -> None:
    """The log as a kill after ``keep`` attempts leaves it."""
    lines = (folder / "log.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    kinds = [json.loads(line)["type"] for line in lines]
    cut = [i for i, kind in enumerate(kinds) if kind == "attempt"][keep - 1] + 1
    (folder / "log.jsonl").write_text("".join(lines[:cut]), encoding="utf-8")


def test_a_resumed_seeded_run_reads_the_same_library_however_the_store_grew(tmp_path):
    """One seed: before the run, the decoy (higher margin, no replays); the run's own replay
    then sights the winner open and the decoy closed, which would put the winner first."""
    fill(tmp_path / "before.db", attacked=False)
    suite = write_suite(tmp_path, seeds=1)
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    for name in ("whole", "killed"):
        shutil.copy(tmp_path / "before.db", tmp_path / f"{name}.db")
        run(tmp_path / name, tmp_path / f"{name}.db", suite, [])
    with FindingStore.open(tmp_path / "killed.db") as db:  # as the store stands now
        now = db.library(exclude_prompts={p.prompt for p in ATTACKED}, limit=1)
    expected = read_log(whole / "log.jsonl")
    assert expected.init.library.exploit_ids != now.exploit_ids  # the store did grow
    _cut_after_attempts(killed, keep=1)
    notes: list[str] = []
    resume_run(killed, progress="quiet", echo=lambda _: None, note=notes.append)
    got = read_log(killed / "log.jsonl")
    assert got.init.library == expected.init.library
    assert notes == ["library: seeding random-search from 1 exploit of 2 stored; "
                     "repetition cannot start from seeds"]  # fmt: skip
    keys = [sorted(e.key for e in log.of_type(FindingEntry)) for log in (expected, got)]
    assert keys[0] == keys[1] and keys[0]
    assert [e.detail for e in got.of_type(AttemptEntry)] == [
        e.detail for e in expected.of_type(AttemptEntry)
    ]


def test_a_resume_whose_store_no_longer_gives_its_library_is_refused(tmp_path):
    fill(tmp_path / "findings.db", attacked=False)
    run(tmp_path / "run", tmp_path / "findings.db", write_suite(tmp_path), [])
    _cut_after_attempts(tmp_path / "run", keep=1)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp_path / 'findings.db'}{suffix}").unlink(missing_ok=True)
    with pytest.raises(HarnessError, match=r"began seeded from exploits .* now gives \[\]"):
        resume_run(tmp_path / "run", progress="quiet", echo=lambda _: None, note=print)


def test_a_trial_pays_its_seeds_from_the_budget_and_every_query_is_counted_once(tmp_path):
    fill(tmp_path / "findings.db")
    library = load_library(tmp_path / "findings.db", prompts=ATTACKED, limit=16)
    assert [s.placed("ref") for s in library.seeds] == [DECOY, WINNER]  # margin 9, then 2
    spec = TrialSpec(checkpoint=MODEL, attack="greedy-coordinate", params={}, budget=12,
                     prompts=tuple(ATTACKED), library=library.seeds)  # fmt: skip
    trial = Trial.prepare(spec)
    attempts = []
    iterator = trial.attempts(baseline=False)  # an attempt scores as the iterator advances
    while True:
        CALLS.clear()
        attempt = next(iterator, None)
        if attempt is None:
            break
        attempts.append(attempt)
        calls = [r for p, r in CALLS if p == attempt.pair.prompt]
        assert len(calls) == len(CALLS)  # only its own prompt
        assert len(calls) == attempt.outcome.queries == attempt.entry.queries <= 12
        assert set(calls[1:3]) == {DECOY, WINNER}  # the reference, then the seeds (one batch)
        assert SECRET not in calls
    assert len(attempts) == 2


def test_a_trial_refuses_seeds_for_an_attack_that_cannot_take_them(tmp_path):
    fill(tmp_path / "findings.db")
    library = load_library(tmp_path / "findings.db", prompts=ATTACKED)
    with pytest.raises(HarnessError, match="'repetition' cannot start from library seeds"):
        TrialSpec(checkpoint=MODEL, attack="repetition", params={}, budget=12,
                  prompts=tuple(ATTACKED), library=library.seeds)  # fmt: skip


def test_load_library_of_a_missing_store_gives_none_and_creates_nothing(tmp_path):
    library = load_library(tmp_path / "nowhere.db", prompts=ATTACKED)
    assert library.seeds == () and library.stored == 0
    assert not (tmp_path / "nowhere.db").exists()
