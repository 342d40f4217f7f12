from collections.abc import Iterator
from pathlib import Path

import pytest

from reactivation_tools.local.stack import LocalStack
from tests.conftest import TEMPLATE

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is end to end (`-m "not e2e"` leaves them out: make test-fast)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    # every function process records the AWS requests it makes and the IAM actions they need;
    # the ports are the system's free ones and the state is under tmp_path (one per xdist
    # worker), so two workers' stacks never meet
    with LocalStack(TEMPLATE, tmp_path / "local",
                    request_counts=tmp_path / "requests.jsonl") as running:  # fmt: skip
        yield running
