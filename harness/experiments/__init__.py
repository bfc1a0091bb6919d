"""Experiments: what is learned from many runs rather than one.

An experiment orchestrates runs, retraining between them and sampling, and keeps its own
typed, append-only log beside the run folders it makes, so that its results can be
rebuilt and reported like a run's. It sits above the runner (each attack it makes is an
ordinary run) and below the gate, the reports and the CLI. ``rounds`` is the whack-a-mole
experiment (attack, add the findings to the training data, retrain, re-measure, and a
verdict on whether that helps); ``sweep`` is the overoptimization sweep (best-of-n and
attack trajectories, proxy against gold: where to stop optimizing).
"""
