"""Whose data a caller reads: a responsible unit its own cases, every other staff role the county's."""

import pytest

from shared.auth import STAFF, Principal, Role
from shared.errors import NotFound
from shared.scope import COUNTY_READERS, Scope, scope_of


def test_a_unit_is_confined_to_its_own_unit() -> None:
    scope = scope_of(Principal(subject="王", role=Role.UNIT, unit="城关镇人民政府"))
    assert scope.unit == "城关镇人民政府" and not scope.county_wide
    assert scope.allows("城关镇人民政府")
    assert not scope.allows("河口镇人民政府") and not scope.allows(None)  # not yet assigned: not its own


@pytest.mark.parametrize("role", [r for r in STAFF if r is not Role.UNIT])
def test_every_other_staff_role_reads_the_county(role: Role) -> None:
    scope = scope_of(Principal(subject="李", role=role))
    assert scope.county_wide and scope.allows("河口镇人民政府") and scope.allows(None)


def test_a_resource_outside_the_scope_is_not_found_like_one_that_does_not_exist() -> None:
    with pytest.raises(NotFound) as caught:
        Scope(unit="城关镇人民政府").check("河口镇人民政府", "整改案件", "c-1")
    assert (caught.value.what, caught.value.ident) == ("整改案件", "c-1")
    Scope(unit="城关镇人民政府").check("城关镇人民政府", "整改案件", "c-1")


def test_county_documents_are_for_every_staff_role_but_the_units() -> None:
    assert set(COUNTY_READERS) == set(STAFF) - {Role.UNIT}
