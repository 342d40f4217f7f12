"""The template's functions, each run in a worker process of its own, as Lambda would run it.

A worker imports the handler from the function's CodeUri with the environment template.yaml
gives it (cold start), then serves invocations; its stdout and stderr (the function's logs)
go to a log file. The local stack's clock is passed with each invocation.
"""

from __future__ import annotations

import contextlib
import json
import os
import select

# B404: the local stack runs each function in its own process
import subprocess  # nosec B404
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from reactivation_tools.local.template import Resolver, Template


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    timeout: int
    memory: int
    environment: Mapping[str, str]
    events: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def function_specs(
    template: Template, resolver: Resolver, local_url: Callable[[str], str] = str
) -> dict[str, FunctionSpec]:
    """Each function as template.yaml declares it; `local_url` turns the stack's own API
    Gateway URLs in its environment into the local API's."""
    specs = {}
    for logical_id in template.of_type("AWS::Serverless::Function"):
        props = template.function_properties(logical_id)
        variables = resolver.resolve(props.get("Environment", {}).get("Variables", {}))
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=resolver.ref(logical_id),
            code_dir=(template.root / props["CodeUri"]).resolve(),
            handler=props["Handler"],
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            environment={k: local_url(str(v)) for k, v in variables.items()},
            events={
                name: {"Type": event["Type"], **resolver.resolve(event.get("Properties", {}))}
                for name, event in props.get("Events", {}).items()
            },
        )
    return specs


@dataclass(frozen=True)
class Invocation:
    payload: Any = None
    error: str | None = None  # the error type, as Lambda reports a function error

    @property
    def ok(self) -> bool:
        return self.error is None


class FunctionWorker:
    """One function's process (`python -m reactivation_tools.local.runtime`); started on first use,
    restarted after a timeout or a crash. Requests and answers are JSON lines on two pipes;
    the process's stdout and stderr are the function's log."""

    def __init__(self, spec: FunctionSpec, base_environment: Mapping[str, str], log: Path) -> None:
        self.spec = spec
        self.base_environment = dict(base_environment)
        self._log = log
        #: Variables added for a test (faults to inject); applied at the next (re)start.
        self.extra_environment: dict[str, str] = {}
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: IO[str] | None = None
        self._answers: IO[str] | None = None

    def _start(self) -> tuple[IO[str], IO[str]]:
        request_read, request_write = os.pipe()
        answer_read, answer_write = os.pipe()
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            **self.base_environment,
            "AWS_LAMBDA_FUNCTION_NAME": self.spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            # Lambda's own: the X-Ray SDK then samples as in Lambda (no X-Ray client, no
            # polling of sampling rules, made at every cold start outside Lambda)
            "LAMBDA_TASK_ROOT": str(self.spec.code_dir),
            **self.spec.environment,
            **self.extra_environment,
        }
        spec = {
            "name": self.spec.name,
            "memory": self.spec.memory,
            "timeout": self.spec.timeout,
            "handler": self.spec.handler,
            "code_dir": str(self.spec.code_dir),
        }
        with self._log.open("ab") as log:
            # B603: our own interpreter and module
            self._process = subprocess.Popen(  # nosec B603
                [
                    sys.executable,
                    "-m",
                    "reactivation_tools.local.runtime",
                    str(request_read),
                    str(answer_write),
                    json.dumps(spec),
                ],
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(request_read, answer_write),
            )
        os.close(request_read)
        os.close(answer_write)
        self._requests = os.fdopen(request_write, "w", buffering=1, encoding="utf-8")
        self._answers = os.fdopen(answer_read, "r", encoding="utf-8")
        return self._requests, self._answers

    def invoke(self, event: Mapping[str, Any], now: datetime) -> Invocation:
        with self._lock:
            if self._requests is None or self._answers is None:
                requests, answers = self._start()
            else:
                requests, answers = self._requests, self._answers
            try:
                requests.write(json.dumps({"event": event, "now": now.isoformat()}) + "\n")
                requests.flush()
                # The first call also waits for the cold start; later ones for the timeout.
                ready, _, _ = select.select([answers], [], [], self.spec.timeout + 30)
                if not ready:
                    self.stop()
                    return Invocation(error="Sandbox.Timedout")
                line = answers.readline()
            except OSError:
                line = ""
            if not line:
                self.stop()
                return Invocation(error="Runtime.ExitError")
        answer = json.loads(line)
        return Invocation(payload=answer.get("payload"), error=answer.get("error"))

    def stop(self) -> None:
        for stream in (self._requests, self._answers):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._requests = self._answers = None
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=5)
            self._process = None
