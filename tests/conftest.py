"""Shared fixtures: the template's resources in moto (in-process), and builders for the domain."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import settings
from moto import mock_aws
from moto.core.base_backend import BackendDict

from reactivation import clock
from reactivation_tools.local.functions import FunctionSpec, function_specs
from reactivation_tools.local.moto_patches import storage_at_its_own_pace
from reactivation_tools.local.provision import Provisioner
from reactivation_tools.local.runtime import LambdaContext, load_handler
from reactivation_tools.local.stack import ACCOUNT, LOCAL_PARAMETERS, REGION
from reactivation_tools.local.template import Template
from tests import moto_account

# Property tests: random exploration on developers' machines; the same examples in CI, so a
# green CI run is repeatable. No deadlines: a loaded machine's timing is not a test.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

# Before anything imports Powertools: the settings every function gets from template.yaml's
# Globals, and no tracing outside Lambda.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Reactivation",
        "POWERTOOLS_SERVICE_NAME": "tests",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

# moto's transactions, queries and queue reads at a pace that does not fall as the account
# fills (the same answers: tests/reactivation_tools/local/test_moto_patches.py), and each of
# its DynamoDB requests answered alone, as DynamoDB isolates them, in every test from the
# first, as in the local stack: not in those after the first local stack alone.
storage_at_its_own_pace()


@functools.cache
def client(service: str) -> Any:
    """A boto3 client, in the test's region, for a service named at run time (one per service
    and process: making one takes tens of milliseconds; moto answers whichever is active)."""
    factory: Any = boto3.client
    return factory(service, region_name=REGION)


@dataclass
class Aws:
    """moto, in this process, with every stateful resource of template.yaml."""

    provisioner: Provisioner
    functions: dict[str, FunctionSpec]

    def client(self, service: str) -> Any:
        return client(service)

    @property
    def table(self) -> str:
        return self.provisioner.created["PracticeTable"].ref

    def ref(self, logical_id: str) -> str:
        return self.provisioner.created[logical_id].ref

    def empty(self) -> None:
        """Every item, message and object gone, the resources kept: what each test starts
        from, for each example of a property test (moto's transactions copy the whole table,
        and a scan reads it: an account that fills example after example slows each one)."""
        moto_account.empty(client("s3"))


def provision(template: Path | Template) -> Provisioner:
    """The template's stateful resources, created in moto (the mock in this process)."""
    provisioner = Provisioner(
        template if isinstance(template, Template) else Template.load(template),
        client,
        stack_name="test",
        region=REGION,
        account=ACCOUNT,
        parameters=LOCAL_PARAMETERS,
    )
    provisioner.provision()
    return provisioner


class Account:
    """template.yaml provisioned in this process's moto, kept from one test to the next."""

    def __init__(self) -> None:
        self.aws: Aws | None = None
        #: How many times this process provisioned the template (once, unless a test reset moto
        #: or changed what the account holds).
        self.provisioned = 0
        self._baseline: dict[str, Any] = {}
        self._alive: list[Any] = []

    def ready(self) -> Aws:
        """The account as a fresh provisioning leaves it: emptied when it holds just what was
        provisioned, else reset and provisioned again."""
        if self.aws is not None:
            moto_account.empty(client("s3"))
            if moto_account.shape([]) == self._baseline:
                return self.aws
        BackendDict.reset()  # every service, as mock_aws() does when it starts
        provisioner = provision(_template())
        self.aws = Aws(
            provisioner,
            function_specs(provisioner.template, provisioner.resolver, provisioner.local_url),
        )
        self._alive = []
        self._baseline = moto_account.shape(self._alive)
        self.provisioned += 1
        return self.aws


@functools.cache
def _template() -> Template:
    return Template.load(TEMPLATE)


MOTO_ACCOUNT = Account()


@functools.cache
def _service_models() -> Any:
    """botocore's loader of service models (JSON), shared by the tests' sessions."""
    return boto3.Session()._session.get_component("data_loader")


def _session() -> boto3.Session:
    """A new boto3 session (no event handler of an earlier test on it) that reads the service
    models already read: a client is made in a tenth of the time a new session takes to
    parse its model again (each test loads its functions, and their clients, anew)."""
    session = boto3.Session()
    session._session.register_component("data_loader", _service_models())
    return session


@pytest.fixture
def aws() -> Iterator[Aws]:
    """The template in moto, as freshly provisioned: built once per process (each xdist worker
    is one) and emptied before each test (tests/moto_account.py)."""
    mock = mock_aws()
    mock.start(reset=False)  # keep what the account holds: ready() judges it
    boto3.DEFAULT_SESSION = _session()  # moto's start left none: the functions' clients
    try:
        yield MOTO_ACCOUNT.ready()
    finally:
        mock.stop(remove_data=False)


@pytest.fixture
def frozen_clock() -> Iterator[Callable[[datetime], None]]:
    yield clock.freeze
    clock.freeze(None)


@pytest.fixture
def frozen_wall_clock() -> Iterator[Callable[[datetime], None]]:
    yield clock.freeze_wall
    clock.freeze_wall(None)


@pytest.fixture
def load_function(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], Callable[[dict[str, Any]], Any]]:
    """Imports a function's handler from its CodeUri with the environment template.yaml gives it."""

    def load(logical_id: str) -> Callable[[dict[str, Any]], Any]:
        spec = aws.functions[logical_id]
        for name, value in spec.environment.items():
            monkeypatch.setenv(name, value)
        handler = load_handler(spec.code_dir, spec.handler, f"test_{logical_id}")
        context = LambdaContext({"name": spec.name, "memory": spec.memory, "timeout": spec.timeout})
        return lambda event: handler(event, context)

    return load
