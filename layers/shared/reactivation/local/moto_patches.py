"""Two fixes to moto for the local stack and the benches.

1. moto's `transact_write_items` takes a deep copy of the whole table (to roll back) once per
action of the transaction: a 100-action transaction on a table of a few thousand items copies
it a hundred times, which takes tens of seconds and gigabytes. The copies are all of the same
state (taken before any action applies), so one copy per table gives the same rollback.
Behaviour unchanged.

2. moto posts an SNS message to an HTTP(S) subscriber once and ignores the answer. SNS retries
a delivery that failed (a 5xx or no answer): the default HTTP delivery policy makes 3 more
attempts with the same message id and signature. The local stack does the same, without the
waits, so a webhook that failed is delivered again as it would be on AWS.
"""

from __future__ import annotations

import copy
from typing import Any

_applied = False
_sns_retries = False

#: SNS's default HTTP delivery policy: numRetries 3 (4 attempts).
SNS_HTTP_ATTEMPTS = 4


def copy_tables_once_per_transaction() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items

    class _OncePerObject:
        """`copy` for the duration of one transaction: deepcopy remembers what it copied."""

        def __init__(self) -> None:
            self._copies: dict[int, Any] = {}

        def deepcopy(self, value: Any, memo: Any = None) -> Any:
            key = id(value)
            if key not in self._copies:
                self._copies[key] = copy.deepcopy(value)
            return self._copies[key]

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        models.copy = _OncePerObject()  # type: ignore[attr-defined,assignment]
        try:
            original(self, transact_items)
        finally:
            models.copy = copy  # type: ignore[attr-defined]

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _applied = True


def sns_retries_failed_http_deliveries() -> None:
    global _sns_retries
    if _sns_retries:
        return
    import requests
    from moto.sns import models

    class _RetryingRequests:
        """What moto's SNS model uses of `requests`: `post`, retried as SNS retries."""

        @staticmethod
        def post(url: str, **kwargs: Any) -> Any:
            for attempt in range(1, SNS_HTTP_ATTEMPTS + 1):
                try:
                    response = requests.post(url, timeout=120, **kwargs)
                except requests.RequestException:
                    if attempt == SNS_HTTP_ATTEMPTS:
                        raise
                    continue
                if response.status_code < 500 or attempt == SNS_HTTP_ATTEMPTS:
                    return response
            raise AssertionError("unreachable")  # pragma: no cover

        def __getattr__(self, name: str) -> Any:
            return getattr(requests, name)

    models.requests = _RetryingRequests()  # type: ignore[attr-defined,assignment]
    _sns_retries = True
