"""The shape the code promises: thin handlers, a domain without AWS, clock or environment."""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOMAIN = sorted((ROOT / "layers/shared/reactivation/domain").glob("*.py"))
HANDLERS = sorted((ROOT / "functions").glob("*/app.py"))


def code_lines(path: Path) -> int:
    tree = ast.parse(path.read_text())
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return len(lines)


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda p: p.parent.name)
def test_handlers_are_thin(handler: Path) -> None:
    assert code_lines(handler) <= 70


@pytest.mark.parametrize("module", DOMAIN, ids=lambda p: p.name)
def test_the_domain_has_no_aws_no_clock_and_no_environment(module: Path) -> None:
    tree = ast.parse(module.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"boto3", "botocore", "os", "time", "requests"}
    source = module.read_text()
    for forbidden in ("datetime.now(", "date.today(", ".utcnow(", "os.environ", "getenv("):
        assert forbidden not in source, forbidden
