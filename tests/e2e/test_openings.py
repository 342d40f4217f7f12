"""Openings on the local stack: two patients choosing the same time at once, exactly one gets
it (the conditional hold, against moto's server from concurrent clients)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from reactivation.adapters.openings import OpeningRepository
from reactivation.domain.conversation import Opening
from reactivation_tools.local.stack import LocalStack

START = datetime(2026, 12, 1, 14, tzinfo=UTC)


def test_patients_choosing_the_same_time_concurrently_exactly_one_gets_it(
    stack: LocalStack,
) -> None:
    table = stack.outputs["PracticeTableName"]
    openings = [Opening(starts_at=START + timedelta(minutes=30 * n), provider="Dr. Lee")
                for n in range(5)]  # fmt: skip
    setup = OpeningRepository(stack.client("dynamodb"), table)
    assert setup.publish("bright-smile", openings) == 5
    assert setup.publish("bright-smile", openings) == 0  # publishing again adds nothing

    def choose(attempt: int) -> tuple[int, bool]:
        repository = OpeningRepository(stack.client("dynamodb"), table)  # its own client
        slot = openings[attempt % len(openings)]
        return attempt % len(openings), repository.hold("bright-smile", slot, f"P-{attempt}", START)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(choose, range(40)))  # 8 patients at each of the 5 times
    winners = [slot for slot, held in results if held]
    assert sorted(winners) == [0, 1, 2, 3, 4]  # exactly one per time
    assert (
        setup.upcoming("bright-smile", START - timedelta(days=1), START + timedelta(days=1)) == []
    )
