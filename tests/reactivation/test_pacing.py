"""Pacing a sending number: each instance keeps to its share of the number's rate."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from reactivation.pacing import Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.pauses.append(round(seconds, 6))
        self.now += seconds


def test_a_toll_free_number_shared_by_five_instances_sends_one_text_every_five_thirds_s() -> None:
    time = FakeTime()
    pacer = Pacer(instances=5, monotonic=time.monotonic, pause=time.pause)
    assert [pacer.admit("+18005550100", 3.0) for _ in range(4)] == [0, 0, 0, 0]
    assert time.pauses == [0, 1.666667, 1.666667, 1.666667]
    # another number has its own slots
    assert pacer.admit("+12125550100", 3.0) == 0 and time.pauses[-1] == 0


def test_a_slow_number_sends_its_first_text_and_delays_the_next_ones_in_turn() -> None:
    time = FakeTime()
    pacer = Pacer(instances=5, monotonic=time.monotonic, pause=time.pause)
    assert [pacer.admit("+12125550100", 0.5) for _ in range(3)] == [0, 10, 20]
    time.now += 10  # the delayed job comes back to this instance: its slot was reserved
    assert pacer.admit("+12125550100", 0.5) == 20


@given(
    rate=st.floats(min_value=0.1, max_value=50),
    instances=st.integers(min_value=1, max_value=20),
    gaps=st.lists(st.floats(min_value=0, max_value=3), min_size=1, max_size=30),
)
def test_admitted_texts_are_never_closer_than_the_instances_share(
    rate: float, instances: int, gaps: list[float]
) -> None:
    time = FakeTime()
    pacer = Pacer(instances=instances, monotonic=time.monotonic, pause=time.pause)
    sent: list[float] = []
    for gap in gaps:
        time.now += gap
        if pacer.admit("+12125550100", rate) == 0:
            sent.append(time.now)
    interval = instances / rate
    assert all(b - a >= interval - 1e-6 for a, b in itertools.pairwise(sent))
