"""One fix to moto for the local stack and the benches, behaviour unchanged.

moto's `transact_write_items` takes a deep copy of the whole table (to roll back) once per
action of the transaction: a 100-action transaction on a table of a few thousand items copies
it a hundred times, which takes tens of seconds and gigabytes. The copies are all of the same
state (taken before any action applies), so one copy per table gives the same rollback.
"""

from __future__ import annotations

import copy
from typing import Any

_applied = False


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
