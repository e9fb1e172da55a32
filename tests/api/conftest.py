"""Partners the API tests sign requests as: an operator, a planting partner, a charity."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(make_partner):
    return make_partner(("admin",), name="ops")


@pytest.fixture
def planter(make_partner):
    return make_partner(("plantings",), name="green-ngo")


@pytest.fixture
def charity(make_partner):
    return make_partner(("donations",), name="school-meals-fund")
