"""``rmh judges list`` and ``rmh attacks list`` show what the registries hold."""

from __future__ import annotations

import dataclasses

from attacks.base import Attack
from attacks.registry import ATTACKS
from harness.judges import JUDGES


@dataclasses.dataclass(frozen=True)
class _NoParams:
    pass


class NeedsMissingExtra(Attack):
    """Test attack whose requirement is not installed (registered only inside a block)."""

    name = "test-needs-missing-extra"
    family = "test"
    requires = ("rmh_no_such_module_xyz",)
    extra = "nowhere"
    citation = "Nobody 2099, A Paper That Does Not Exist"
    Params = _NoParams

    def search(self, ctx):
        raise AssertionError("never run")


def test_judges_list_shows_every_judge_and_its_params(rmh):
    code, out, _err = rmh("judges", "list")
    assert code == 0
    for name, cls in JUDGES.load_all().items():
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert "builtin" in line and cls.description() in line
    assert "checkpoint (required)" in out  # gold-rm's checkpoint has no default
    assert "ensemble-disagreement" in out


def test_attacks_list_shows_availability_and_citation(rmh):
    with ATTACKS.temporarily(NeedsMissingExtra):
        code, out, _err = rmh("attacks", "list")
    assert code == 0
    lines = out.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(NeedsMissingExtra.name))
    assert "needs [nowhere]" in lines[index]
    assert "cite: Nobody 2099" in "\n".join(lines[index : index + 3])
    gcg = next(line for line in lines if line.startswith("gcg "))
    assert "available" in gcg
    assert NeedsMissingExtra.name not in ATTACKS  # the registry is restored after the block


def test_an_attack_with_a_missing_extra_is_one_line(rmh, one_line_error, tmp_path):
    with ATTACKS.temporarily(NeedsMissingExtra):
        code, _out, err = rmh("attack", str(tmp_path), "--attack", NeedsMissingExtra.name)
    one_line_error(code, err, "pip install 'rm-harness[nowhere]'")
