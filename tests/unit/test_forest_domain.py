from datetime import UTC, datetime, timedelta

import pytest

from game.forest import domain

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(("energy", "stolen", "remaining", "expected"), [
    (100, 0, 100, 20),    # a fifth of the original
    (51, 0, 51, 11),      # rounded up
    (100, 40, 60, 10),    # never past half of the original
    (15, 6, 9, 1),        # half of 15 is 7 (floor), 6 already gone
    (100, 50, 50, 0),     # half gone: nothing left to steal
    (100, 0, 5, 5),       # never more than what is left
    (1, 0, 1, 0),         # a 1 g ball cannot lose half a gram
])
def test_steal_amount_is_a_fifth_rounded_up_within_half_and_what_is_left(
        energy, stolen, remaining, expected):
    assert domain.steal_amount(energy, stolen, remaining) == expected


def test_thieves_in_turn_never_take_more_than_half():
    for energy in range(1, 500):
        stolen = 0
        while (take := domain.steal_amount(energy, stolen, energy - stolen)) > 0:
            stolen += take
        assert 2 * stolen <= energy and 2 * (stolen + 1) > energy


def test_friend_pairs_are_stored_lowest_first():
    assert domain.friend_pair(9, 3) == (3, 9) == domain.friend_pair(3, 9)


def test_only_the_four_water_amounts_are_allowed():
    assert [g for g in range(0, 100) if domain.is_valid_water_amount(g)] == [10, 18, 33, 66]


def test_evidence_problems_name_each_bad_field():
    problems = domain.evidence_problems(NOW + timedelta(seconds=1), -90.5, 180.5,
                                        ["https://ok.example/a.jpg", "file:///x"], NOW)
    assert set(problems) == {"planted_at", "latitude", "longitude", "photo_urls"}
    assert domain.evidence_problems(NOW, 90, -180, [], NOW) == {}


def test_coordinates_are_kept_exactly_in_micro_degrees():
    assert domain.to_micro_degrees(39.123456) == 39_123_456
    assert domain.from_micro_degrees(-105_000_001) == -105.000001


def test_a_tree_order_gives_one_certificate_per_tree_a_reserve_one_in_all():
    assert domain.certificates_for_order("tree", 3) == [1, 1, 1]
    assert domain.certificates_for_order("reserve", 25) == [25]
    assert domain.certificate_number("CNP", 2026, 42) == "CNP-2026-000042"


def test_the_planting_year_is_the_one_at_the_place_of_planting():
    new_year_in_china = datetime.fromisoformat("2027-01-01T01:00:00+08:00")
    assert domain.planting_year(new_year_in_china) == 2027


def test_day_and_week_bounds_follow_the_viewers_zone():
    start, end = domain.period_bounds("day", NOW, "Asia/Shanghai")
    assert (start.isoformat(), end - start) == ("2026-03-10T00:00:00+08:00", timedelta(days=1))
    start, end = domain.period_bounds("week", NOW, "Asia/Shanghai")
    assert start.isoformat() == "2026-03-09T00:00:00+08:00"  # Monday
    assert end.isoformat() == "2026-03-16T00:00:00+08:00"


def test_equal_scores_share_a_rank():
    assert domain.rank({1: 5, 2: 9, 3: 5, 4: 0}) == [(1, 2, 9), (2, 1, 5), (2, 3, 5), (4, 4, 0)]
