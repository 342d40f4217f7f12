"""The benches' stack in this process: moto (mock_aws) provisioned from template.yaml, the
clocks frozen at the demo's Tuesday 10:00, botocore hooks on the default session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from reactivation import clock
from reactivation_tools.local import demo
from reactivation_tools.local.functions import FunctionSpec, function_specs
from reactivation_tools.local.moto_patches import storage_at_its_own_pace
from reactivation_tools.local.provision import Provisioner
from reactivation_tools.local.stack import ACCOUNT, LOCAL_PARAMETERS, REGION
from reactivation_tools.local.template import Template

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class InProcessStack:
    provisioner: Provisioner
    specs: dict[str, FunctionSpec]
    table: str
    start: datetime

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


@contextmanager
def in_process_stack(**hooks: Callable[..., Any]) -> Iterator[InProcessStack]:
    """`hooks`: botocore events ("before-call", "after-call") -> handler."""
    storage_at_its_own_pace()
    with mock_aws():  # moto resets boto3's default session: the hooks go on the new one
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        for event, handler in hooks.items():
            boto3.DEFAULT_SESSION.events.register(event.replace("_", "-"), handler)
        factory: Any = boto3.client
        provisioner = Provisioner(
            Template.load(ROOT / "template.yaml"), lambda s: factory(s, region_name=REGION),
            stack_name="bench", region=REGION, account=ACCOUNT, parameters=LOCAL_PARAMETERS,
        )  # fmt: skip
        provisioner.provision()
        specs = function_specs(provisioner.template, provisioner.resolver, provisioner.local_url)
        start = demo.next_tuesday_morning(datetime(2026, 11, 22, tzinfo=UTC))
        clock.freeze(start)
        clock.freeze_wall(start)
        yield InProcessStack(provisioner, specs, provisioner.created["PracticeTable"].ref, start)
