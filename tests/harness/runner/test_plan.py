from harness.runner.plan import plan_units, shards, unit_seed


def test_unit_seeds_are_stable_and_distinct():
    assert unit_seed(0, "gcg", 0, 3) == unit_seed(0, "gcg", 0, 3)
    seeds = {unit_seed(0, a, r, p) for a in ("gcg", "beam") for r in range(2) for p in range(50)}
    assert len(seeds) == 200


def test_plan_covers_every_coordinate_once_and_shards_keep_groups():
    units = plan_units(checkpoints=2, attack_ids=["a", "b"], replicates=2, prompts=5, seed=1)
    assert len({u.id for u in units}) == len(units) == 40
    cut = list(shards(units, chunk=3))
    assert sum(len(s) for s in cut) == 40
    for shard in cut:
        assert len({(u.checkpoint, u.attack_id) for u in shard}) == 1 and len(shard) <= 3


def test_a_skipped_attack_has_no_units_on_its_checkpoint_and_moves_no_other_seed():
    full = plan_units(checkpoints=2, attack_ids=["a", "gcg"], replicates=2, prompts=3, seed=1)
    kept = plan_units(
        checkpoints=2, attack_ids=["a", "gcg"], replicates=2, prompts=3, seed=1, skip={(1, "gcg")}
    )
    assert kept == [u for u in full if (u.checkpoint, u.attack_id) != (1, "gcg")]
    assert len(kept) == len(full) - 2 * 3
    assert any(u.attack_id == "gcg" for u in kept)  # still on checkpoint 0
