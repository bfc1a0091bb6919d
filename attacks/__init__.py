"""Attack generators. Each module is one family; ``attacks.registry`` names them all."""

from attacks.base import Attack, AttackContext, AttackOutcome, Finding
from attacks.registry import all_attacks, get_attack, register

__all__ = [
    "Attack",
    "AttackContext",
    "AttackOutcome",
    "Finding",
    "all_attacks",
    "get_attack",
    "register",
]
