from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from game.farm.domain import (
    FEED_RULES,
    Eater,
    Trough,
    advance,
    crossed_multiples,
    egg_progress,
    eggs_laid,
    normalized_answer,
    quiz_index,
    store_feed,
    wanted_by,
)

F = 1_000_000  # a feeding second


def fed_at(t: int, grams: int = 180) -> Trough:
    return Trough(t, grams, (Eater(1, t, 0),))


def test_a_chicken_eats_180_g_in_exactly_4_h_40_min():
    assert wanted_by(F, F + 16_799) == 179
    assert wanted_by(F, F + 16_800) == 180


def test_the_first_gram_is_eaten_after_94_seconds_not_93():
    assert wanted_by(F, F + 93) == 0
    assert wanted_by(F, F + 94) == 1


def test_one_second_before_the_trough_empties_one_gram_is_left():
    before = advance(fed_at(F), F + 16_799)
    assert (before.remaining_g, before.emptied_at, before.eaters[0].eaten_g) == (1, None, 179)


def test_the_trough_empties_at_the_exact_second_and_stays_empty():
    at = advance(fed_at(F), F + 16_800)
    later = advance(fed_at(F), F + 99_999)
    for t in (at, later):
        assert (t.remaining_g, t.emptied_at, t.eaters[0].eaten_g) == (0, F + 16_800, 180)


def test_two_chickens_at_one_trough_empty_it_twice_as_fast_and_share_it():
    trough = Trough(F, 180, (Eater(1, F, 0), Eater(2, F, 0)))
    assert advance(trough, F + 8_399).emptied_at is None
    done = advance(trough, F + 8_400)
    assert done.emptied_at == F + 8_400
    assert sorted(e.eaten_g for e in done.eaters) == [90, 90]


def test_the_last_gram_goes_to_the_earliest_meal_when_both_want_it_in_the_same_second():
    trough = Trough(F + 93, 1, (Eater(7, F, 0), Eater(3, F, 0)))
    done = advance(trough, F + 94)
    assert done.emptied_at == F + 94
    assert {e.meal_id: e.eaten_g for e in done.eaters} == {3: 1, 7: 0}


def test_a_visitor_arriving_later_eats_less_and_the_trough_still_holds_exactly_what_it_had():
    home = advance(fed_at(F), F + 4_200)  # the owner ate 45 g
    assert home.remaining_g == 135
    joined = Trough(home.at, home.remaining_g, (*home.eaters, Eater(2, F + 4_200, 0)))
    done = advance(joined, F + 50_000)
    eaten = {e.meal_id: e.eaten_g for e in done.eaters}
    assert eaten[1] + eaten[2] == 180
    assert eaten[1] > eaten[2]
    assert done.emptied_at < F + 16_800


def test_reading_before_the_checkpoint_changes_nothing():
    checkpoint = advance(fed_at(F), F + 1_000)
    assert advance(checkpoint, F + 10) == checkpoint


eaters = st.lists(st.integers(0, 20_000), min_size=1, max_size=4)


@given(starts=eaters, grams=st.integers(1, 180), t1=st.integers(0, 40_000),
       t2=st.integers(0, 40_000))
def test_advancing_in_two_steps_is_advancing_once_and_conserves_grams(starts, grams, t1, t2):
    t1, t2 = sorted((t1, t2))
    first = max(starts)
    trough = Trough(first, grams, tuple(
        Eater(i, s, wanted_by(s, first)) for i, s in enumerate(starts)))
    once = advance(trough, first + t2)
    twice = advance(advance(trough, first + t1), first + t2)
    assert once == twice
    ate = sum(e.eaten_g for e in once.eaters) - sum(e.eaten_g for e in trough.eaters)
    assert once.remaining_g + ate == grams
    assert (once.remaining_g == 0) == (once.emptied_at is not None)


def test_every_900_g_is_an_egg():
    assert (eggs_laid(899), egg_progress(899)) == (0, 899)
    assert (eggs_laid(900), egg_progress(900)) == (1, 0)


def test_the_store_keeps_1800_g_and_says_what_overflowed():
    assert store_feed(1_700, 180) == (1_800, 80)
    assert store_feed(1_800, 180) == (1_800, 180)
    assert store_feed(0, 720) == (720, 0)


def test_offline_payments_earn_180_g_each_up_to_four_a_day():
    rule = FEED_RULES["offline_payment"]
    assert [rule.feed_for(n) for n in (0, 1, 4, 9)] == [0, 180, 720, 720]


def test_each_multiple_of_the_target_crossed_is_one_record():
    assert list(crossed_multiples(4, 6, 5)) == [1]
    assert list(crossed_multiples(0, 12, 5)) == [1, 2]
    assert list(crossed_multiples(5, 9, 5)) == []
    assert list(crossed_multiples(9, 10, 5)) == [2]


def test_the_quiz_question_is_the_same_all_day_and_changes_the_next():
    day = date(2026, 3, 10)
    assert quiz_index(day, 5) == quiz_index(day, 5)
    assert quiz_index(day, 5) != quiz_index(date(2026, 3, 11), 5)


def test_answers_ignore_case_and_spacing():
    assert normalized_answer("  The   Metro ") == normalized_answer("the metro")
