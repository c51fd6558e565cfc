from aurora_safety import ReasonCode

EXPECTED = [
    "KILL_SWITCH",
    "BREAKER_OPEN",
    "INVALID_ORDER",
    "NO_REFERENCE_PRICE",
    "STALE_REFERENCE",
    "PRICE_BAND",
    "MAX_ORDER_QTY",
    "MAX_ORDER_NOTIONAL",
    "MAX_POSITION_NOTIONAL",
    "MAX_GROSS_EXPOSURE",
    "MAX_DAILY_NOTIONAL",
    "MAX_SESSION_ORDERS",
    "RATE_LIMIT",
    "DUPLICATE_ORDER",
    "REDUCE_ONLY",
    "SHORT_SALE",
]


class TestReasonCode:
    def test_exactly_the_design_codes_in_order(self):
        assert [code.name for code in ReasonCode] == EXPECTED

    def test_value_equals_name_and_serialises_as_plain_string(self):
        for code in ReasonCode:
            assert code.value == code.name
            assert str(code) == code.name
            assert f"{code}" == code.name
