"""The token bucket to the nano-token, and exact refusals, for the mutation run.

With a rate of 0.5 tokens a second the bucket mints half a nano-token per
nanosecond: whole nano-tokens are credited, the half is carried exactly, and
a full bucket drops what it carried. These tests watch that carry.
"""

from __future__ import annotations

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
