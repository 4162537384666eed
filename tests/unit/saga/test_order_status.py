from emarket import order_status as st


def test_only_the_documented_transitions_exist():
    assert st.can_move("accepted", "processing")
    assert st.can_move("awaiting_payment", "payment_started")
    assert not st.can_move("accepted", "awaiting_payment")
    assert not st.can_move("completed", "cancelled")
    assert not st.can_move("cancelled", "awaiting_payment")
    assert set(st.sources_of("cancelled")) == {"accepted", "processing", "awaiting_payment", "payment_started"}
    assert st.sources_of("completed") == ("payment_started",)
