"""Faults injected into a local function's AWS calls, to show that a guarantee holds when
things break: a throttle or a 5xx before a call, a crash (the process killed) right after a
call succeeded. Each fault fires once, even across the restart a crash causes (its marker
file records that it fired).

The local stack passes the faults to a function's process as JSON in REACTIVATION_FAULTS;
the runtime installs them on boto3's default session before the handler is imported."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

#: The variable that carries a worker's faults.
FAULTS_VARIABLE = "REACTIVATION_FAULTS"

Effect = Literal["crash", "throttle", "server_error"]


@dataclass(frozen=True)
class Fault:
    """`effect` at the `nth` call of `call` ("sns.Publish", "dynamodb.TransactWriteItems"):
    a crash after the call succeeded, a throttle or a 5xx instead of the call."""

    call: str
    effect: Effect
    nth: int = 1
    marker: str = ""  # set by the stack: the file that says the fault fired

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def encode(faults: list[Fault]) -> str:
    return json.dumps([f.to_json() for f in faults])


class _Installed:
    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.calls = 0

    def _due(self) -> bool:
        if self.fault.marker and Path(self.fault.marker).exists():
            return False
        self.calls += 1
        if self.calls != self.fault.nth:
            return False
        if self.fault.marker:
            Path(self.fault.marker).touch()
        return True

    def before(self, **_: Any) -> None:
        if self.fault.effect != "crash" and self._due():
            from botocore.exceptions import ClientError

            code, status = (
                ("ThrottlingException", 400)
                if self.fault.effect == "throttle"
                else ("InternalFailure", 500)
            )
            operation = self.fault.call.split(".", 1)[1]
            error: Any = {"Error": {"Code": code, "Message": "injected fault"},
                          "ResponseMetadata": {"HTTPStatusCode": status}}  # fmt: skip
            raise ClientError(error, operation)

    def after(self, **_: Any) -> None:
        if self.fault.effect == "crash" and self._due():
            os._exit(137)  # killed between the call and whatever came next


def install(encoded: str) -> None:
    """Registers each fault on boto3's default session (clients made afterwards have them)."""
    import boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    if boto3.DEFAULT_SESSION is None:
        raise RuntimeError("boto3 has no default session")
    for item in json.loads(encoded):
        installed = _Installed(Fault(**item))
        service, operation = installed.fault.call.split(".", 1)
        boto3.DEFAULT_SESSION.events.register(f"before-call.{service}.{operation}",
                                              installed.before)  # fmt: skip
        boto3.DEFAULT_SESSION.events.register(f"after-call.{service}.{operation}",
                                              installed.after)  # fmt: skip
