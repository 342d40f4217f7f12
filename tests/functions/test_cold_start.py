"""What a handler loads at cold start: only what every invocation of it needs (issue #23).

Each handler is imported in a fresh Python with its template environment; the heavy
libraries a path needs now and then (Jinja2 to render a message, phonenumbers' timezones
and the holiday calendar for sending hours, cryptography for SNS signatures) wait for it.
How long a cold start takes is bench/cold_imports.py's to measure, not a test's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from reactivation_tools.local.environment import offline_specs
from tests.conftest import TEMPLATE

SPECS = offline_specs(TEMPLATE)
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted(sys.modules)))
"""
LAZY = {"jinja2", "phonenumbers", "holidays", "cryptography"}
#: What a function's every invocation needs, and so loads at cold start.
NEEDED = {
    "InboundFunction": {"cryptography"},  # every request's signature is checked
    # every parked reply's signature is checked, by the inbound service built at cold start
    "InboundRedriveFunction": {"cryptography"},
    "ReportFunction": {"jinja2"},  # every run renders the due reports
    "IngestFunction": {"phonenumbers"},  # every row's numbers are parsed
    "AppointmentsFunction": {"phonenumbers"},  # an appointment row is parsed as imported
    # every page is rendered (its sign-in's cryptography waits for a sign-in)
    "StaffInboxFunction": {"jinja2"},
}


def loaded_at_cold_start(function: str) -> set[str]:
    spec = SPECS[function]
    module_name, _, _ = spec.handler.rpartition(".")
    environment = {
        **os.environ,
        **spec.environment,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE, str(spec.code_dir / f"{module_name}.py")],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("function", sorted(SPECS))
def test_a_handler_loads_only_what_every_invocation_needs(function: str) -> None:
    modules = loaded_at_cold_start(function)
    loaded = {name for name in modules if "." not in name}
    assert "reactivation" in loaded  # the handler did load
    assert loaded & LAZY == NEEDED.get(function, set())
    assert "reactivation_tools" not in loaded
    # Powertools' parser models (every AWS event's, in pydantic): its batch utility loads them
    # when imported after pydantic (see reactivation.observability.sqs_batch).
    assert "aws_lambda_powertools.utilities.parser" not in modules
