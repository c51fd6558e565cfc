"""The token bucket to the nano-token, and exact refusals, for the mutation run.

With a rate of 0.5 tokens a second the bucket mints half a nano-token per
nanosecond: whole nano-tokens are credited, the half is carried exactly, and
a full bucket drops what it carried. These tests watch that carry.
"""

from __future__ import annotations

from datetime import date

import pytest

from aurora_safety import SessionOrderCounter, TestClock, TokenBucket

NANO = 1_000_000_000


@pytest.fixture
def half_rate() -> tuple[TokenBucket, TestClock]:
    """One token of capacity, 0.5 tokens/s (1/2 nano-token per ns), emptied at t=0."""
    clock = TestClock()
    bucket = TokenBucket(1, 0.5, clock)
    assert bucket.try_acquire()
    return bucket, clock


class TestNanoTokenCarry:
    def test_half_a_nano_token_is_not_credited(self, half_rate):
        bucket, clock = half_rate
        clock.advance(1)
        assert bucket.tokens == 0.0

    def test_two_halves_make_one_nano_token(self, half_rate):
        bucket, clock = half_rate
        clock.advance(1)
        assert bucket.tokens == 0.0
        clock.advance(1)
        assert bucket.tokens == 1 / NANO

    def test_a_full_bucket_drops_the_carried_half(self, half_rate):
        bucket, clock = half_rate
        clock.advance(2 * NANO + 1)  # one whole token and half a nano-token: full, the half dropped
        assert bucket.tokens == 1.0
        assert bucket.try_acquire()
        clock.advance(1)
        assert bucket.tokens == 0.0  # only this nanosecond's half: nothing carried from before


class TestAcquireOne:
    """The router's per-order path, against the same arithmetic as ``try_acquire``."""

    def test_a_whole_number_rate_adds_to_what_is_left(self):
        clock = TestClock()
        bucket = TokenBucket(5, 1.0, clock)
        assert all(bucket.acquire_one() for _ in range(3))
        clock.advance(1)
        assert bucket.acquire_one()  # two tokens and one nano-token left, not one nano-token
        assert bucket.tokens == 1 + 1 / NANO

    def test_elapsed_time_is_measured_from_the_last_reading(self):
        clock = TestClock(start_ns=10**12)
        bucket = TokenBucket(2, 1.0, clock)
        assert bucket.acquire_one()
        assert bucket.acquire_one()
        clock.advance(1)
        assert not bucket.acquire_one()
        assert bucket.tokens == 1 / NANO

    def test_a_fractional_rate_mints_rate_times_elapsed(self):
        clock = TestClock()
        bucket = TokenBucket(1, 1.5, clock)
        assert bucket.acquire_one()
        clock.advance(NANO // 2)  # 0.75 tokens
        assert not bucket.acquire_one()
        assert bucket.tokens == 0.75
        clock.advance(NANO // 2)  # 1.5 tokens in all, capped at 1
        assert bucket.acquire_one()


class TestSessionKeys:
    def test_a_loaded_count_is_found_by_its_date(self):
        counter = SessionOrderCounter.from_dict({"max_orders": 5, "counts": {"2024-01-02": 3}})
        assert counter.count(date(2024, 1, 2)) == 3

    def test_a_session_seen_but_not_counted_stays_at_zero(self):
        counter = SessionOrderCounter(5)
        day = date(2024, 1, 2)
        assert counter.check(day) is None
        assert counter.count(day) == 0
        assert counter.count(day) == 0

    def test_sessions_are_their_text(self):
        counter = SessionOrderCounter(5)
        assert counter.count_order(1) is None
        assert (counter.count(1), counter.count(1.0), counter.count("1")) == (1, 0, 1)


class TestRecordRefusals:
    @pytest.mark.parametrize(
        ("n", "shown"), [(0, "0"), (-1, "-1"), (True, "True"), (1.0, "1.0"), ("1", "'1'")]
    )
    def test_record_needs_a_positive_integer(self, n, shown):
        bucket = TokenBucket(1, 1.0, TestClock())
        with pytest.raises(ValueError, match=rf"^'n' must be an integer > 0, was {shown}$"):
            bucket.record(n)
        assert bucket.tokens == 1.0


class TestAcquireRefusals:
    @pytest.mark.parametrize(("n", "shown"), [(0, "0"), (-2, "-2"), (True, "True"), (1.0, "1.0")])
    def test_acquire_names_the_bad_count(self, n, shown):
        bucket = TokenBucket(1, 1.0, TestClock())
        with pytest.raises(ValueError, match=rf"^'n' must be an integer > 0, was {shown}$"):
            bucket.try_acquire(n)
        assert bucket.tokens == 1.0


class TestSavedCounts:
    def test_a_saved_count_of_zero_is_valid(self):
        counter = SessionOrderCounter.from_dict({"max_orders": 5, "counts": {"2024-01-02": 0}})
        assert counter.count("2024-01-02") == 0

    @pytest.mark.parametrize(("value", "shown"), [(2.5, "2.5"), ("3", "'3'"), (True, "True"), (-1, "-1")])
    def test_a_saved_count_that_is_not_a_count(self, value, shown):
        with pytest.raises(ValueError, match=rf"^'counts.s' must be an integer >= 0, was {shown}$"):
            SessionOrderCounter.from_dict({"max_orders": 5, "counts": {"s": value}})
