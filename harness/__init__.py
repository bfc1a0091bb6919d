"""rm-harness: adversarial robustness testing for reward models.

The words used throughout (reward model, scorer, finding, attack, suite, run, gate) are
defined in the project's design notes; each has a module of the same name.
"""

__version__ = "0.1.0"
