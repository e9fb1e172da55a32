"""The user id alphabet and the zone names a user may be created with."""

from __future__ import annotations

import pytest

from carbon.domain import account as domain
from carbon.services.users import check_external_id


@pytest.mark.parametrize("value", ["a", "Z" * 64, "a.b", "a_b", "a:b", "a@b", "a-b", "...",
                                   "0", "user@example.com", "urn:x:1"])
def test_ids_of_the_alphabet_are_accepted(value):
    assert domain.is_valid_user_id(value) and check_external_id(value) is None


@pytest.mark.parametrize("value", ["", ".", "..", "Z" * 65, "a/b", "a b", "a%2Fb", "a+b", "a~b",
                                   "ü", "a\nb", "a\x00b", "１", None, 7, ["a"]])
def test_ids_outside_the_alphabet_are_refused_with_the_rule(value):
    assert not domain.is_valid_user_id(value)
    assert "1 to 64 characters of A-Z a-z 0-9 _ . : @ -" in check_external_id(value)


def test_a_trailing_newline_does_not_slip_past_the_pattern():
    assert not domain.is_valid_user_id("alice\n")


@pytest.mark.parametrize("name", ["right/UTC", "posix/Asia/Shanghai", "localtime", "Factory",
                                  "posixrules", "asia/shanghai", "Asia", "", None])
def test_names_zoneinfo_opens_but_no_one_lives_in_are_not_zones(name):
    assert not domain.is_valid_zone(name)


@pytest.mark.parametrize("name", ["UTC", "Asia/Shanghai", "Asia/Calcutta", "Etc/GMT-8"])
def test_iana_zones_and_links_are_zones(name):
    assert domain.is_valid_zone(name)


def test_a_zone_stored_before_the_check_can_still_be_computed_with():
    assert domain.opens_as_zone("posix/Asia/Shanghai") and not domain.opens_as_zone("Mars/Base")
