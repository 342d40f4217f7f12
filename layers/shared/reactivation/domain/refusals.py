"""A validation error in the operator's words: the field, its value (unless it is contact
data), and the fix; never a library's phrase like "String should match pattern"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Fields whose values are a person's contact data or words: never repeated in a refusal.
PRIVATE_FIELDS = frozenset({
    "mobile", "email", "first_name", "last_name", "phone", "owner_emails", "clinical_email",
    "front_desk_email", "sending_number", "text", "body", "note",
})  # fmt: skip
_MAX_SHOWN = 60


def field_name(location: tuple[int | str, ...] | list[int | str]) -> str:
    """`campaigns.recall_due.months` for ("campaigns", "recall_due", "months")."""
    return ".".join(str(part) for part in location) or "the row"


def _shown(value: object) -> str:
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    return repr(text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…")


def _fix(kind: str, context: Mapping[str, Any], message: str) -> str:
    """Why the value is refused, and what to write instead."""
    if kind == "missing":
        return "is required: add it"
    if kind == "string_too_short":
        return "is empty: fill it in"
    if kind == "too_short":
        least = context.get("min_length", 1)
        items = "1 item: add one" if least == 1 else f"{least} items: add them"
        return f"needs at least {items}"
    if kind == "too_long":
        return f"has more than {context.get('max_length')} items: remove some"
    if kind == "string_too_long":
        return f"is longer than {context.get('max_length')} characters: shorten it"
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        if pattern.startswith("^https://"):
            return "is not a web address starting with https:// (e.g. https://example.com/book)"
        if "[a-z0-9]" in pattern:
            return "must be lowercase letters, digits and dashes (e.g. bright-smile)"
        return "is not written as expected: see the format in the README"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        bounds = {"greater_than_equal": "at least", "greater_than": "more than",
                  "less_than_equal": "at most", "less_than": "less than"}  # fmt: skip
        limit = next(iter(context.values()), "")
        return f"must be {bounds[kind]} {limit}"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "is not a whole number: write digits only (e.g. 12)"
    if kind in {"float_parsing", "float_type"}:
        return "is not a number: write digits only (e.g. 12.5)"
    if kind in {"bool_parsing", "bool_type"}:
        return "is not yes/no: write true or false"
    if kind in {"date_parsing", "date_from_datetime_parsing", "date_type"}:
        return "is not a date: write YYYY-MM-DD (e.g. 2026-11-24)"
    if kind in {"datetime_parsing", "datetime_type", "datetime_from_date_parsing"}:
        return "is not a date-time: write YYYY-MM-DDTHH:MM (e.g. 2026-11-24T09:30)"
    if kind == "enum" or kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", "")
        return f"must be one of {expected}"
    if kind == "extra_forbidden":
        return "is not a setting: remove it (or check its spelling)"
    if kind in {"list_type", "dict_type", "model_type", "string_type"}:
        wanted = {"list_type": "a list", "dict_type": "a mapping of names to values",
                  "model_type": "a mapping of names to values", "string_type": "text"}  # fmt: skip
        return f"must be {wanted[kind]}"
    if kind == "value_error":  # our own validators' words, after pydantic's "Value error, "
        reason = message.removeprefix("Value error, ")
        if "IANA" in reason or "timezone" in reason:
            return "is not a timezone name: write one like America/New_York (IANA)"
        if "E.164" in reason or "phone" in reason:
            return "is not a phone number in international form: write +14155550134"
        if "email" in reason:
            return "is not an email address: write one like frontdesk@example.com"
        return reason
    return message[0].lower() + message[1:] if message else "is not valid"


def plain_fix(error: Mapping[str, Any]) -> str:
    """Why one of pydantic's `errors()` refuses its value, and the fix, without the field."""
    return _fix(str(error.get("type", "")), error.get("ctx") or {}, str(error.get("msg", "")))


def is_private(error: Mapping[str, Any]) -> bool:
    """Whether the error's field holds contact data (its value is not repeated)."""
    return any(str(part) in PRIVATE_FIELDS for part in error.get("loc", ()))


def in_plain_words(error: Mapping[str, Any], *, show_value: bool = True) -> str:
    """One of pydantic's `errors()` as a sentence: `booking_link 'http://x' is not a web
    address starting with https:// (...)`. The value is left out for contact data, and when
    `show_value` is False (a patient's row)."""
    location = tuple(error.get("loc", ()))
    name = field_name(location)
    kind = str(error.get("type", ""))
    fix = _fix(kind, error.get("ctx") or {}, str(error.get("msg", "")))
    private = any(str(part) in PRIVATE_FIELDS for part in location)
    if kind == "missing" or not show_value or private or "input" not in error:
        return f"{name} {fix}"
    value = error["input"]
    if isinstance(value, dict | list):
        return f"{name} {fix}"
    return f"{name} {_shown(value)} {fix}"
