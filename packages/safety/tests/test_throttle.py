from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_safety import ReasonCode, SessionOrderCounter, TestClock, TokenBucket

SEC = 1_000_000_000


class TestTokenBucket:
    def test_starts_full_then_refills_at_rate(self):
        clock = TestClock()
        bucket = TokenBucket(capacity=3, refill_per_sec=2.0, clock=clock)
        assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]
        clock.advance(SEC // 2)  # one token
        assert bucket.try_acquire() is True
        assert bucket.try_acquire() is False

    def test_never_exceeds_capacity(self):
        clock = TestClock()
        bucket = TokenBucket(2, 100.0, clock)
        clock.advance(1000 * SEC)
        assert bucket.tokens == 2.0
        assert bucket.try_acquire(2) is True
        assert bucket.try_acquire() is False

    def test_all_or_nothing(self):
        bucket = TokenBucket(3, 1.0, TestClock())
        assert bucket.try_acquire(4) is False
        assert bucket.tokens == 3.0

    def test_backwards_jump_mints_nothing(self):
        clock = TestClock(10 * SEC)
        bucket = TokenBucket(1, 1.0, clock)
        assert bucket.try_acquire()
        clock.set(0)
        assert bucket.try_acquire() is False  # observed at the low point
        clock.advance(5 * SEC)  # still before the high-water mark of 10 s
        assert bucket.try_acquire() is False
        clock.set(11 * SEC)
        assert bucket.try_acquire() is True

    def test_refill_never_rounds_up(self):
        clock = TestClock()
        bucket = TokenBucket(1, 1e-3, clock)
        assert bucket.try_acquire()
        for _ in range(1000):
            clock.advance(1)
            assert bucket.try_acquire() is False
        # 1e-3 tokens/s x 1 us = 1e-9 tokens; rounding up each refill would give 1e-6
        assert bucket.tokens <= 2e-9

    def test_record_counts_cancels_without_blocking(self):
        clock = TestClock()
        bucket = TokenBucket(1, 1.0, clock)
        bucket.record()
        bucket.record()  # passes even with an empty bucket
        assert bucket.tokens == -1.0
        clock.advance(SEC)
        assert bucket.try_acquire() is False  # the cancel debt is repaid first
        clock.advance(SEC)
        assert bucket.try_acquire() is True

    def test_rejection(self):
        bucket = TokenBucket(1, 0.5, TestClock())
        bucket.try_acquire()
        assert bucket.rejection().message == (
            "RATE_LIMIT: message_burst=1, max_messages_per_sec=0.5, tokens=0.0"
        )

    @pytest.mark.parametrize(
        ("cap", "rate"),
        [(0, 1.0), (True, 1.0), (1.5, 1.0), (1, 0.0), (1, float("inf")), (1, float("nan")), (1, True)],
    )
    def test_bad_parameters(self, cap, rate):
        with pytest.raises(ValueError, match=r"^'(capacity|refill_per_sec)' must be"):
            TokenBucket(cap, rate, TestClock())

    @pytest.mark.parametrize("n", [0, -1, True, 1.0])
    def test_bad_n(self, n):
        with pytest.raises(ValueError, match=r"^'n' must be an integer > 0, was "):
            TokenBucket(1, 1.0, TestClock()).try_acquire(n)

    @given(
        capacity=st.integers(1, 50),
        rate=st.floats(0.001, 1e6, allow_nan=False, allow_infinity=False),
        steps=st.lists(
            st.tuples(st.integers(-10 * SEC, 10 * SEC), st.integers(1, 5), st.booleans()), max_size=80
        ),
    )
    def test_never_admits_more_than_capacity_plus_rate_times_elapsed(self, capacity, rate, steps):
        """Including clock jumps backwards; elapsed is measured to the furthest time seen."""
        clock = TestClock(0)
        bucket = TokenBucket(capacity, rate, clock)
        admitted, recorded, furthest = 0, 0, 0
        for jump, n, cancel in steps:
            clock.advance(jump)
            furthest = max(furthest, clock.monotonic_ns())
            if cancel:
                bucket.record(n)
                recorded += n
            elif bucket.try_acquire(n):
                admitted += n
            # exact rational arithmetic: no float rounding can hide an excess
            budget = capacity + Fraction(rate) * Fraction(furthest, SEC)
            assert admitted <= budget
            # the balance never exceeds what was minted minus what was taken
            assert Fraction(bucket.tokens) <= budget - admitted - recorded + Fraction(1, 10**12)


@given(
    capacity=st.integers(1, 20),
    rate=st.sampled_from([1.0, 3.0, 50.0, 0.5, 2.5, 0.1, 1e9]),
    steps=st.lists(st.tuples(st.integers(-3 * SEC, 3 * SEC), st.booleans()), max_size=60),
)
def test_acquire_one_answers_as_try_acquire_one(capacity, rate, steps):
    """The router's fast path and the general method agree on every answer and every balance."""
    clock = TestClock(0)
    fast, general = TokenBucket(capacity, rate, clock), TokenBucket(capacity, rate, clock)
    for jump, cancel in steps:
        clock.advance(jump)
        if cancel:
            fast.record()
            general.record()
        else:
            assert fast.acquire_one() is general.try_acquire(1)
        assert (fast._credit_nt, fast._rem, fast._high_ns) == (
            general._credit_nt,
            general._rem,
            general._high_ns,
        )


class TestSessionOrderCounter:
    def test_counts_per_session_and_rejects_over_limit(self):
        counter = SessionOrderCounter(2)
        assert counter.count_order("2020-01-02") is None
        assert counter.count_order("2020-01-02") is None
        rej = counter.count_order("2020-01-02")
        assert rej is not None
        assert rej.reason is ReasonCode.MAX_SESSION_ORDERS
        assert rej.message == (
            "MAX_SESSION_ORDERS: max_session_orders=2, session_orders=2, session='2020-01-02'"
        )
        assert counter.count("2020-01-02") == 2  # the rejected one is not counted
        assert counter.count_order("2020-01-03") is None

    def test_a_date_and_its_iso_text_are_one_session(self):
        counter = SessionOrderCounter(2)
        assert counter.count_order(date(2020, 1, 2)) is None
        assert counter.count("2020-01-02") == 1
        assert counter.count_order("2020-01-02") is None
        assert counter.check(date(2020, 1, 2)).message == (
            "MAX_SESSION_ORDERS: max_session_orders=2, session_orders=2, session='2020-01-02'"
        )
        # a datetime is not memoised as a date: its text names the instant
        assert counter.count(datetime(2020, 1, 2, tzinfo=UTC)) == 0
        assert counter.to_dict() == {"max_orders": 2, "counts": {"2020-01-02": 2}}

    def test_check_does_not_count(self):
        counter = SessionOrderCounter(1)
        assert counter.check("s") is None
        assert counter.count("s") == 0

    def test_round_trip(self):
        counter = SessionOrderCounter(3)
        counter.count_order("b")
        counter.count_order("a")
        data = counter.to_dict()
        assert data == {"max_orders": 3, "counts": {"a": 1, "b": 1}}
        assert SessionOrderCounter.from_dict(data).to_dict() == data

    @pytest.mark.parametrize("bad", [0, -1, True, 1.0])
    def test_bad_max(self, bad):
        with pytest.raises(ValueError, match=r"^'max_orders' must be an integer > 0, was "):
            SessionOrderCounter(bad)

    def test_bad_saved_count(self):
        with pytest.raises(ValueError, match=r"^'counts.a' must be an integer >= 0, was -1$"):
            SessionOrderCounter.from_dict({"max_orders": 3, "counts": {"a": -1}})
