"""Attack generators. Each module is one family; ``attacks.registry`` names them all."""

from attacks.base import Attack, AttackContext, AttackOutcome
from attacks.registry import all_attacks, get_attack, register
from harness.core.finding import Finding  # what attacks produce; its home is the core

__all__ = [
    "Attack",
    "AttackContext",
    "AttackOutcome",
    "Finding",
    "all_attacks",
    "get_attack",
    "register",
]
