"""What the operator's console prints for people: plain tables and sentences (the commands
take `--json` for scripts), never Python's reprs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 patient`, `3 patients`, `2 replies` (with `many`)."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"


def counts(values: Mapping[str, int] | None, empty: str = "none") -> str:
    """`{'recall_due': 5, 'no_channel': 1}` as `5 recall_due, 1 no_channel`."""
    if not values:
        return empty
    ordered = sorted(values.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{count} {name}" for name, count in ordered)


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Columns padded to their widest cell; the last column is never padded."""
    lines = [[str(cell) for cell in header], *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i < len(header) - 1 else cell
                  for i, cell in enumerate(line)).rstrip()
        for line in lines
    )  # fmt: skip


def stack_lines(description: Mapping[str, Any], state_file: str) -> list[str]:
    """`reactivation local up`'s few lines: what runs, where, how to use it and stop it."""
    outputs = description.get("outputs", {})
    resources = description.get("resources", {})
    kinds: dict[str, int] = {}
    for resource in resources.values():
        kind = str(resource.get("type", "")).split("::")[1] if "::" in resource["type"] else "?"
        kinds[kind] = kinds.get(kind, 0) + 1
    made = ", ".join(f"{plural(n, kind.lower() if kind != 'SQS' else 'SQS queue')}"
                     for kind, n in sorted(kinds.items()))  # fmt: skip
    schedules = plural(len(description.get("schedules", [])), "schedule")
    return [
        f"Local stack up: AWS (moto) on {description['moto']}, the API on {description['api']}",
        f"  from template.yaml: {made}; {schedules}",
        f"  inbound SMS webhook: {outputs.get('InboundSmsWebhookUrl', '?')}",
        f"  function logs: {description.get('logs')}; state for other commands: {state_file}",
        "  try, from another shell: reactivation local seed; reactivation local fire "
        "WeeklyEnrolment; reactivation local drain; reactivation local outbox",
        "Ctrl-C stops it (and removes nothing but the running processes).",
    ]


def fired_lines(schedule: str, answer: Mapping[str, Any]) -> list[str]:
    """A schedule fired through the control API."""
    if not answer.get("ok"):
        return [f"{schedule} fired: the function failed ({answer.get('error') or 'no detail'})",
                "  see its log in the state directory's logs/"]  # fmt: skip
    payload = answer.get("payload")
    lines = [f"{schedule} fired: the function ran"]
    if isinstance(payload, Mapping):
        for key, value in payload.items():
            shown = counts(value) if isinstance(value, Mapping) else value
            lines.append(f"  {key.replace('_', ' ')}: {shown}")
    elif payload is not None:
        lines.append(f"  answered: {payload}")
    lines.append("  `reactivation local drain` feeds the queued work to the functions")
    return lines


def drained_lines(answer: Mapping[str, Any]) -> list[str]:
    batches = int(answer.get("batches", 0))
    if not batches:
        return ["nothing was waiting in the queues"]
    return [f"{plural(batches, 'batch', 'batches')} fed to the functions; the queues are empty "
            "(`reactivation local outbox` shows what was sent)"]  # fmt: skip


def outbox_lines(answer: Mapping[str, Any]) -> list[str]:
    sms = answer.get("sms", [])
    emails = answer.get("emails", [])
    lines = [f"{plural(len(sms), 'SMS', 'SMS')} and {plural(len(emails), 'email')} delivered "
             "by AWS (moto), oldest first"]  # fmt: skip
    if sms:
        lines += ["", table(("to", "text"), ((m["to"], m["body"]) for m in sms))]
    if emails:
        rows = ((", ".join(e["to"]), e["subject"], ", ".join(e.get("attachments", [])) or "-")
                for e in emails)  # fmt: skip
        lines += ["", table(("to", "subject", "attachments"), rows)]
    return lines
