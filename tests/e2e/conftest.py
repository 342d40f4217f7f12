from collections.abc import Iterator
from pathlib import Path

import pytest

from reactivation.local.stack import LocalStack
from tests.conftest import TEMPLATE


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    with LocalStack(TEMPLATE, tmp_path / "local") as running:
        yield running
