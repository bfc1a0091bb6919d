"""One training replicate of one arm's round r >= 1: augment, retrain (or carry the
checkpoint over, or stop), run.

This is where the arms differ, and where the experiment keeps them comparable:
``augment`` (``augment.py``; ``findings`` adds the new exploits of its round r-1 run on
attack prompts of trained families, ``synthetic`` as many degenerate negatives as
``findings`` added this round, ``clean`` nothing), retrain from the previous checkpoint
(``trainer.py``), then the round's run and its measurement (``round_run.py``). Each step
is done when its log line is there (``augment``, ``train``, ``round``), so a resumed
experiment skips what is done and trains again, from the same seed, a training that has
no ``train`` line (the trainer stages its output, so a partial checkpoint is never used).

**Replicates.** With ``--seeds K`` every arm is K independent lineages (replicate k in
``<arm>/seed-<k>/``): each has its own checkpoint chain, its own store (a copy of round
0's) and its own runs, and adds what *its own* runs found (``findings`` replicate k the
new exploits of its round r-1 run; ``synthetic`` replicate k as many negatives as
``findings`` replicate k added). The training seed, the clean pairs' order and the
sample of extra pairs of round r are drawn per replicate (``augment.replicate_seed``:
replicate 0 keeps a single-seed experiment's seeds) and are the same for every arm.

**Equal training.** Every retraining of every arm reads a pair file of exactly
``round_pairs`` pairs (default: as many as the clean training pairs): the arm's extra
pairs first (a seeded sample of them if there are more), then clean pairs taken in an
order shuffled once per round (the same order for every arm) until the file is full. So
with the built-in trainer every arm trains ``epochs * ceil(round_pairs / batch_pairs)``
steps per round, on batches of the same size, from the same training seed; a hook gets
files of the same length. Arms differ only in what the extra pairs are.

**Nothing to add** (``findings`` replicate k found no new exploit, ``synthetic`` then
has nothing to match): no arm's replicate k retrains that round, ``clean`` included, so
every arm keeps the same number of training steps per replicate. Each logs
``nothing_to_add``, its checkpoint carries over, and the round's suite still runs on it
(with the round's new seeds: what it finds is the next round's data). The verdict counts
only rounds that were retrained. **A failed retraining** (``TrainerError``: the hook
failed or wrote an unreadable checkpoint, a NaN loss), or a failed augmentation (the
synthetic replicate has no findings round to match): the error is logged and that
replicate of the arm stops with its previous checkpoint; everything else goes on.
"""

from __future__ import annotations

import random
from pathlib import Path

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.experiments.rounds.augment import (
    Augmentation,
    clean_augmentation,
    findings_augmentation,
    parse_kinds,
    replicate_seed,
    synthetic_augmentation,
)
from harness.experiments.rounds.experiment_journal import ExperimentJournal, lineage
from harness.experiments.rounds.experiment_log import (
    AugmentEntry,
    ErrorEntry,
    NothingToAddEntry,
    RoundEntry,
    TrainEntry,
)
from harness.experiments.rounds.experiment_state import ZERO, Step
from harness.experiments.rounds.inputs import CONTROL
from harness.experiments.rounds.pairfile import write_pairs
from harness.experiments.rounds.round_run import measure_round
from harness.experiments.rounds.trainer import TrainerError
from harness.store import FindingStore

__all__ = ["arm_round"]


def arm_round(journal: ExperimentJournal, arm: str, r: int, replicate: int = 0) -> None:
    """Every step of round ``r`` of ``arm``'s ``replicate`` that the log does not hold
    yet, in order."""
    state, k = journal.state, replicate
    step = Step(arm, r, k)
    previous = _checkpoint(journal, arm, r - 1, k)
    folder = journal.out / lineage(arm, k) / f"round-{r}"
    augment = state.augments.get(step)
    if augment is None:
        try:
            augment = _augment(journal, arm, r, k, folder)
        except HarnessError as exc:
            _stop(journal, step, "augment", previous, str(exc))
            return
    if augment.train_file is None:  # nothing to add: this arm, or findings (all arms)
        if step not in state.nothing:
            why = "nothing to add" if arm == "findings" else _why_not_retrained(journal, r, k)
            journal.write(
                NothingToAddEntry(
                    arm=arm,
                    round=r,
                    replicate=k,
                    checkpoint=str(previous),
                    message=f"{why}: not retrained; {previous} carries over",
                )
            )
            journal.echo(f"round {r}, {_name(journal, arm, k)}: {why}; the checkpoint carries over")
        checkpoint, retrained = previous, False
    elif step in state.trains:
        checkpoint, retrained = Path(state.trains[step].checkpoint), True
    else:
        assert augment.train_file is not None
        journal.echo(
            f"round {r}, {_name(journal, arm, k)}: retraining on {augment.train_pairs} pairs ..."
        )
        try:
            result = journal.trainer.train(
                previous,
                journal.out / augment.train_file,
                folder / "checkpoint",
                journal.config.train_config(),
                seed=replicate_seed(journal.init.seed, r, "train", k),
            )
        except TrainerError as exc:
            _stop(journal, step, "train", previous, str(exc))
            return
        journal.write(TrainEntry.of(arm, r, result, replicate=k))
        checkpoint, retrained = result.checkpoint, True
    journal.echo(f"round {r}, {_name(journal, arm, k)}: attacking {checkpoint} ...")
    measure_round(journal, arm, r, checkpoint, retrained=retrained, replicate=k)


def _name(journal: ExperimentJournal, arm: str, replicate: int) -> str:
    """The arm as progress lines name it: with its seed when there are several."""
    return arm if journal.config.seeds == 1 else f"{arm} seed {replicate}"


def _checkpoint(journal: ExperimentJournal, arm: str, r: int, replicate: int) -> Path:
    """The replicate's checkpoint after round ``r`` (carried over where not retrained)."""
    for k in range(r, 0, -1):
        trained = journal.state.trains.get(Step(arm, k, replicate))
        if trained is not None:
            return Path(trained.checkpoint)
    return Path(journal.init.checkpoint)


def _findings_found_nothing(journal: ExperimentJournal, r: int, replicate: int) -> bool:
    """Findings replicate ``replicate`` had nothing to add in round ``r``: no arm's
    replicate retrains then."""
    found = journal.state.augments.get(Step("findings", r, replicate))
    return found is not None and found.pairs == 0


def _why_not_retrained(journal: ExperimentJournal, r: int, replicate: int) -> str:
    if _findings_found_nothing(journal, r, replicate):
        return "nothing to add (the findings arm found no new exploit: no arm retrains)"
    return "nothing to add"


def _stop(journal: ExperimentJournal, step: Step, stage: str, previous: Path, message: str) -> None:
    arm, r, k = step
    assert arm is not None
    journal.write(
        ErrorEntry(
            arm=arm, round=r, replicate=k, stage=stage, checkpoint=str(previous), message=message
        )
    )
    rest = "the other arms" if journal.config.seeds == 1 else "the other arms and seeds"
    journal.echo(f"round {r}, {_name(journal, arm, k)}: stopped ({stage}): {message}; {rest} go on")


def _augment(journal: ExperimentJournal, arm: str, r: int, k: int, folder: Path) -> AugmentEntry:
    """The replicate's extra pairs and the round's training file, then the ``augment`` line."""
    out, seed = journal.out, journal.init.seed
    extra, summary = _extra_pairs(journal, arm, r, k)
    n = journal.config.round_pairs or len(journal.train_pairs)
    dropped = max(0, len(extra) - n)
    if dropped:
        extra = random.Random(replicate_seed(seed, r, f"{arm}-sample", k)).sample(extra, n)
    files: dict[str, object] = {"replicate": k}
    if extra:
        files["file"] = str(write_pairs(folder / "augment.jsonl", extra).relative_to(out))
    if extra or (arm == CONTROL and not _findings_found_nothing(journal, r, k)):
        order = list(journal.train_pairs)
        random.Random(replicate_seed(seed, r, "clean-order", k)).shuffle(order)
        clean = [order[i % len(order)] for i in range(n - len(extra))]
        path = write_pairs(folder / "train.jsonl", [*extra, *clean])
        files.update(train_file=str(path.relative_to(out)), clean_pairs=len(clean))
        files["train_pairs"] = n
    return journal.write(AugmentEntry.of(summary, dropped=dropped, **files))


def _extra_pairs(
    journal: ExperimentJournal, arm: str, r: int, k: int
) -> tuple[list[PreferencePair], Augmentation]:
    if arm == "findings":
        run = _round_entry(journal, arm, r - 1, k)
        with FindingStore.open(journal.store(arm, k)) as store:
            return findings_augmentation(
                store,
                run_ids={run.run_id},
                attack_prompts=journal.split.attack,
                trained_families=journal.init.trained_families,
                references=journal.references,
                round=r,
                members_per_exploit=journal.config.members_per_exploit,
            )
    if arm == "synthetic":
        found = journal.state.augments.get(Step("findings", r, k))
        if found is None:
            raise HarnessError(
                f"the findings arm has no round {r} (it stopped): "
                "the synthetic arm has no count to match"
            )
        return synthetic_augmentation(
            attack_prompts=journal.split.attack,
            references=journal.references,
            count=found.pairs,
            seed=journal.init.seed,
            round=r,
            kinds=parse_kinds(journal.config.synthetic_kinds),
            replicate=k,
        )
    return clean_augmentation(round=r)


def _round_entry(journal: ExperimentJournal, arm: str, r: int, k: int) -> RoundEntry:
    state = journal.state
    return state.rounds[ZERO] if r == 0 else state.rounds[Step(arm, r, k)]
