"""A function's process in the local stack: imports the handler once, then serves invocations.

Run as `python -m reactivation_tools.local.runtime REQUEST_FD ANSWER_FD SPEC_JSON` by
FunctionWorker, with the function's environment; stdout and stderr are the function's log file.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import traceback
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any


class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.function_name = spec["name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{spec['name']}"
        self.memory_limit_in_mb = spec["memory"]
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec['name']}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + spec["timeout"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(code_dir: Path, handler: str, name: str) -> Any:
    """The handler named like Lambda's `Handler` (module.function), from the function's CodeUri."""
    module_name, _, function_name = handler.rpartition(".")
    location = code_dir / f"{module_name.replace('.', '/')}.py"
    module_spec = importlib.util.spec_from_file_location(f"lambda_{name}", location)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"no handler module at {location}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, function_name)


class RequestCounter:
    """Counts the AWS requests an invocation makes (by service and operation), with botocore's
    before-call hook on boto3's default session, and appends them to a file: for benches that
    measure the functions as the local stack runs them. Off unless the stack asks for it."""

    def __init__(self, path: str, function: str) -> None:
        import boto3

        self._path, self._function = path, function
        self.counts: dict[str, int] = {}
        self.actions: set[str] = set()
        boto3.setup_default_session()
        if boto3.DEFAULT_SESSION is None:
            raise RuntimeError("boto3 has no default session")
        boto3.DEFAULT_SESSION.events.register("before-call", self._count)
        boto3.DEFAULT_SESSION.events.register("before-parameter-build", self._act)

    def _count(self, event_name: str, **_: Any) -> None:
        operation = event_name.split(".", 1)[1]  # before-call.<service>.<Operation>
        self.counts[operation] = self.counts.get(operation, 0) + 1

    def _act(self, event_name: str, params: Any = None, **_: Any) -> None:
        operation = event_name.split(".", 1)[1]  # before-parameter-build.<service>.<Operation>
        self.actions.update(iam_actions(operation, params or {}))

    def flush(self) -> None:
        with Path(self._path).open("a", encoding="utf-8") as out:
            out.write(json.dumps({"function": self._function, "requests": self.counts,
                                  "actions": sorted(self.actions)}) + "\n")  # fmt: skip
        self.counts = {}
        self.actions = set()


#: IAM's service prefix where it is not botocore's service name.
_IAM_PREFIX = {"sesv2": "ses", "eventbridge": "events", "secrets-manager": "secretsmanager",
               "pinpoint-sms-voice-v2": "sms-voice"}  # fmt: skip
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
             "ConditionCheck": "ConditionCheckItem"}  # fmt: skip


#: Requests whose IAM action has another name.
_SAME_AS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "s3:HeadObject": "s3:GetObject",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:DeleteObjects": "s3:DeleteObject",
}


#: A user pool's public calls, authorized by the user's password or tokens: AWS evaluates no
#: IAM policy for them (the staff inbox signs in and out with them and needs no permission).
_NO_IAM = {
    f"cognito-identity-provider.{name}"
    for name in ("InitiateAuth", "RespondToAuthChallenge", "GlobalSignOut",
                 "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference")
}  # fmt: skip


def iam_actions(operation: str, params: Mapping[str, Any]) -> set[str]:
    """The IAM actions a request needs ("dynamodb.TransactWriteItems" with a ConditionCheck
    needs dynamodb:ConditionCheckItem; SES's raw content needs ses:SendRawEmail)."""
    if operation in _NO_IAM:
        return set()
    service, _, name = operation.partition(".")
    prefix = _IAM_PREFIX.get(service, service)
    if operation == "dynamodb.TransactWriteItems":
        return {f"dynamodb:{_TRANSACT[kind]}" for item in params.get("TransactItems", [])
                for kind in item}  # fmt: skip
    if operation == "sesv2.SendEmail" and "Raw" in params.get("Content", {}):
        return {"ses:SendRawEmail"}
    action = f"{prefix}:{name}"
    return {_SAME_AS.get(action, action)}


def main(argv: list[str]) -> None:
    requests = os.fdopen(int(argv[1]), "r", encoding="utf-8")
    answers = os.fdopen(int(argv[2]), "w", buffering=1, encoding="utf-8")
    spec = json.loads(argv[3])
    from reactivation import clock

    counts_file = os.environ.get("REACTIVATION_REQUEST_COUNTS")
    counter = RequestCounter(counts_file, spec["name"]) if counts_file else None
    from reactivation_tools.local.faults import FAULTS_VARIABLE, install

    if os.environ.get(FAULTS_VARIABLE):
        install(os.environ[FAULTS_VARIABLE])

    one_clock = bool(os.environ.get("REACTIVATION_LOCAL_ONE_CLOCK"))  # stack.ONE_CLOCK_VARIABLE
    handler: Any = None
    init_error: str | None = None
    try:
        handler = load_handler(Path(spec["code_dir"]), spec["handler"], spec["name"])
    except Exception as error:
        traceback.print_exc()
        init_error = f"Runtime.ImportModuleError: {type(error).__name__}"
    for line in requests:
        request = json.loads(line)
        if init_error is not None:
            answers.write(json.dumps({"error": init_error}) + "\n")
            continue
        clock.freeze(datetime.fromisoformat(request["now"]))
        if one_clock:  # the stack's SNS stamps its messages by the same clock
            clock.freeze_wall(datetime.fromisoformat(request["now"]))
        try:
            result = handler(request["event"], LambdaContext(spec))
            answer: dict[str, Any] = {"payload": json.loads(json.dumps(result, default=str))}
        except Exception as error:
            traceback.print_exc()
            answer = {"error": type(error).__name__}
        sys.stdout.flush()
        if counter is not None:
            counter.flush()
        answers.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main(sys.argv)
