"""The whack-a-mole experiment: arms, rounds, and the verdict on whether training on
found exploits makes a reward model more robust (issue 12, ``docs/rounds.md``).

``stats`` holds the statistics on per-prompt data, ``verdict`` the rules fixed before the
data; both are pure (no model, no torch).
"""
