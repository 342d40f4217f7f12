"""The shape the code promises: thin handlers, a domain without AWS, clock or environment."""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOMAIN = sorted((ROOT / "layers/shared/reactivation/domain").glob("*.py"))
HANDLERS = sorted((ROOT / "functions").glob("*/app.py"))
# What the Lambda layer ships: the production package and the handlers.
PRODUCTION = sorted((ROOT / "layers/shared/reactivation").rglob("*.py")) + HANDLERS
TOOLS = sorted((ROOT / "tools/reactivation_tools").rglob("*.py"))
DEV_ONLY = {"reactivation_tools", "moto", "yaml", "pytest", "hypothesis", "tests"}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


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
    imported = {name.split(".")[0] for name in imported_modules(module)}
    assert not imported & {"boto3", "botocore", "os", "time", "requests"}
    source = module.read_text()
    for forbidden in ("datetime.now(", "date.today(", ".utcnow(", "os.environ", "getenv("):
        assert forbidden not in source, forbidden


@pytest.mark.parametrize("module", PRODUCTION, ids=lambda p: str(p.relative_to(ROOT)))
def test_production_never_imports_the_tools(module: Path) -> None:
    imported = {name.split(".")[0] for name in imported_modules(module)}
    assert not imported & DEV_ONLY


def test_the_tools_live_in_their_own_package() -> None:
    """The CLI, the local stack, the demo, preview, onboarding and exports are tools: none of
    them is left in the production package, and the tools are a package of their own."""
    production = ROOT / "layers/shared/reactivation"
    for tool in ("cli.py", "local", "preview.py", "onboarding.py", "exports.py", "evaluation.py"):
        assert not (production / tool).exists(), tool
        assert (ROOT / "tools/reactivation_tools" / tool).exists(), tool
    assert TOOLS, "tools/reactivation_tools is empty"
    assert all("reactivation_tools" not in str(p) for p in PRODUCTION)


@pytest.mark.parametrize("module", PRODUCTION + TOOLS, ids=lambda p: str(p.relative_to(ROOT)))
def test_one_name_for_each_thing(module: Path) -> None:
    """An enrolment is an `Enrolment`, so that `collections.abc.Sequence` is never renamed
    on import, and no module imports the old catch-all `domain.models`."""
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "collections.abc":
            assert all(a.asname is None for a in node.names if a.name == "Sequence")
    assert "reactivation.domain.models" not in imported_modules(module)


SERVICES = sorted((ROOT / "layers/shared/reactivation/services").rglob("*.py"))
#: A service class takes at most this many constructor arguments (more: it does several jobs).
MAX_SERVICE_ARGUMENTS = 8
#: Over the limit still, to be split as the inbound service was (issue #23); not to grow. The
#: segment service took the question follow-ups (#18): its follow-up run is the next to split.
OVER_THE_LIMIT = {"ReportService": 10, "SegmentService": 11, "SendService": 11}


def constructor_arguments(path: Path) -> dict[str, int]:
    """Each class of the module, and how many arguments its `__init__` takes (self aside)."""
    counts: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef):
            for init in node.body:
                if isinstance(init, ast.FunctionDef) and init.name == "__init__":
                    a = init.args
                    counts[node.name] = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) - 1
    return counts


@pytest.mark.parametrize("module", SERVICES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_service_takes_few_constructor_arguments(module: Path) -> None:
    for name, count in constructor_arguments(module).items():
        assert count <= OVER_THE_LIMIT.get(name, MAX_SERVICE_ARGUMENTS), (name, count)
