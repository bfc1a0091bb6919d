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
