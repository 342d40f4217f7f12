"""A practice's configuration file (YAML or JSON), validated with every problem listed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reactivation.domain.practice import Practice
from reactivation.domain.refusals import is_private, plain_fix


@dataclass(frozen=True)
class Problem:
    field: str
    value: str
    why: str

    def __str__(self) -> str:
        return f"{self.field}: {self.value} -> {self.why}"


class PracticeConfigError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems in the practice configuration")
        self.problems = problems


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _load(text: str, *, yaml_file: bool) -> Any:
    if yaml_file:
        import yaml  # the CLI's dependency, not the Lambda layer's

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise PracticeConfigError([Problem("file", "", f"not YAML: {error}")]) from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise PracticeConfigError([Problem("file", "", f"not JSON: {error}")]) from error


def parse_practice(text: str, *, yaml_file: bool) -> Practice:
    """The practice, or PracticeConfigError listing each problem (field, value, why)."""
    data = _load(text, yaml_file=yaml_file)
    if not isinstance(data, dict):
        raise PracticeConfigError([Problem("file", _shown(data), "must be a mapping of fields")])
    try:
        return Practice.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(
                field=".".join(str(part) for part in item["loc"]) or "practice",
                value="(missing)"
                if item["type"] == "missing"
                else "(contact data, not shown)"
                if is_private(item)
                else _shown(item.get("input")),
                why=plain_fix(item),  # the operator's words, not the library's
            )
            for item in error.errors()
        ]
        raise PracticeConfigError(problems) from error


def sender_identity_of(from_email: str, identities: Iterable[str]) -> str | None:
    """The stack's SES identity `from_email` is inside: the address itself, or its domain (the
    send and report functions' IAM allows exactly these); None: outside every one."""
    address = from_email.strip().lower()
    domain = address.rsplit("@", 1)[-1]
    for identity in identities:
        if identity.strip().lower() in (address, domain):
            return identity.strip()
    return None


def outside_sender_identities(from_email: str, identities: Iterable[str]) -> str | None:
    """Why a practice's from_email cannot be sent from, with the fix (None: it can)."""
    allowed = [i.strip() for i in identities if i.strip()]
    if sender_identity_of(from_email, allowed) is not None:
        return None
    domain = from_email.rsplit("@", 1)[-1]
    return (
        f"from_email {from_email} is not inside any SES identity this stack may send from "
        f"({', '.join(allowed) or 'none'}), so its emails would be refused. Either use an "
        f"address at one of them, or verify {domain} in SES (aws sesv2 create-email-identity "
        f"--email-identity {domain}, then its DKIM records in DNS) and add it to the stack's "
        f"SenderIdentities parameter (sam deploy --parameter-overrides "
        f"SenderIdentities={','.join([*allowed[1:], domain])})."
    )
