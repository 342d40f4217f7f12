from collections.abc import Iterator
from pathlib import Path

import pytest

from reactivation_tools.local.stack import LocalStack
from tests.conftest import TEMPLATE


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    # every function process records the AWS requests it makes and the IAM actions they need
    with LocalStack(TEMPLATE, tmp_path / "local",
                    request_counts=tmp_path / "requests.jsonl") as running:  # fmt: skip
        yield running
