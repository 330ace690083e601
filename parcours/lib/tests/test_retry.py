"""Retry delays: exponential, capped, half random."""

from datetime import timedelta

from parcours.lib.retry import retry_delay

BASE, CAP = timedelta(minutes=1), timedelta(hours=4)


def test_the_delay_doubles_with_each_failed_attempt_between_half_and_all_of_it():
    for attempts, ceiling in ((1, 60), (2, 120), (3, 240), (6, 1920)):
        low = retry_delay(attempts, base=BASE, cap=CAP, rng=lambda: 0.0)
        high = retry_delay(attempts, base=BASE, cap=CAP, rng=lambda: 0.999999)
        assert low == timedelta(seconds=ceiling / 2)
        assert timedelta(seconds=ceiling / 2) < high <= timedelta(seconds=ceiling)


def test_the_delay_never_exceeds_the_cap_even_after_many_attempts():
    assert retry_delay(500, base=BASE, cap=CAP, rng=lambda: 0.999999) <= CAP
    assert retry_delay(0, base=BASE, cap=CAP, rng=lambda: 0.0) == timedelta(seconds=30)
