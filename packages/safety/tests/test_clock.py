from aurora_safety import Clock, SystemClock, TestClock


class TestTestClock:
    def test_starts_where_told_and_moves_only_when_told(self):
        clock = TestClock(start_ns=5)
        assert clock.monotonic_ns() == clock.time_ns() == 5
        clock.advance(10)
        assert clock.monotonic_ns() == 15
        assert clock.time_ns() == 15

    def test_can_jump_backwards(self):
        clock = TestClock(100)
        clock.set(3)
        assert clock.monotonic_ns() == 3
        clock.advance(-2)
        assert clock.monotonic_ns() == 1

    def test_is_not_collected_by_pytest(self):
        assert TestClock.__test__ is False


class TestSystemClock:
    def test_satisfies_protocol_and_moves_forward(self):
        clock = SystemClock()
        assert isinstance(clock, Clock)
        assert isinstance(TestClock(), Clock)
        first = clock.monotonic_ns()
        assert clock.monotonic_ns() >= first
        assert clock.time_ns() > 1_600_000_000 * 10**9
