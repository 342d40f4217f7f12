"""`reactivation`: the operator's command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reactivation.services.staff import StaffService

STATE_DIR = Path(".local")


def _template(path: str) -> Path:
    template = Path(path)
    if not template.is_file():
        raise SystemExit(f"no template at {template} (run from the repository, or pass --template)")
    return template


def _demo(args: argparse.Namespace) -> int:
    from reactivation_tools.local import demo
    from reactivation_tools.local.stack import LocalStack

    with LocalStack(_template(args.template), Path(args.state_dir)) as stack:
        result = demo.run(stack)
        if args.keep_running:
            state = Path(args.state_dir) / "stack.json"
            state.write_text(json.dumps(stack.describe(), indent=2))
            _print_inbox(stack)  # the week's handoffs are waiting there
            print(f"\nThe local stack is still up (AWS on {stack.moto_url}, the API on "
                  f"{stack.api_url}): look around from another shell with `reactivation local "
                  "outbox`, `reactivation conversation bright-smile P-1001`, `reactivation "
                  "handoffs list bright-smile`, or `reactivation local reply +12125550102 "
                  "\"yes\"`. Ctrl-C here stops it.", flush=True)  # fmt: skip
            _wait()
            state.unlink(missing_ok=True)
        else:
            print("\nThe week's handoffs wait in the staff inbox: "
                  "`reactivation demo --keep` prints its address and a user.")  # fmt: skip
    return 0 if result.opted_out and result.report_html.exists() else 1


def _wait() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def _local_up(args: argparse.Namespace) -> int:
    from reactivation_tools.local.stack import LocalStack

    with LocalStack(
        _template(args.template),
        Path(args.state_dir),
        moto_port=args.moto_port,
        api_port=args.api_port,
    ) as stack:
        from reactivation_tools.console import stack_lines

        description = stack.describe()
        state = Path(args.state_dir) / "stack.json"
        state.write_text(json.dumps(description, indent=2))
        print(json.dumps(description, indent=2) if args.json else
              "\n".join(stack_lines(description, str(state))), flush=True)  # fmt: skip
        _print_inbox(stack)
        _wait()
        state.unlink(missing_ok=True)
    return 0


def _print_inbox(stack: Any) -> None:
    """The staff inbox's address and a demo user of the demo practice (its temporary
    password is printed: moto sends no invitation email)."""
    from reactivation_tools.local import demo
    from reactivation_tools.staff_users import invite_demo_user

    user = invite_demo_user(
        stack.client("cognito-idp"), stack.outputs["StaffUserPoolId"],
        demo.PRACTICE.practice_id, f"front-desk@{demo.PRACTICE.practice_id}.test",
    )  # fmt: skip
    print(f"\nStaff inbox: {stack.outputs['StaffInboxUrl']}")
    print(f"  sign in as {user.email} ({user.role.value}, {user.practice_id}) with the "
          f"temporary password {user.temporary_password} (you choose your own next)")  # fmt: skip


def _local_state(args: argparse.Namespace, hint: str = "") -> dict[str, Any]:
    """What `reactivation local up` wrote about the running local stack (exit 2 if none)."""
    state = Path(args.state_dir) / "stack.json"
    if not state.is_file():
        print(f"no local stack is running (start one with `reactivation local up`){hint}",
              file=sys.stderr)  # fmt: skip
        raise SystemExit(2)
    description: dict[str, Any] = json.loads(state.read_text())
    return description


def _control(
    args: argparse.Namespace,
    method: str,
    path: str,
    body: object = None,
    lines: Callable[[Any], list[str]] | None = None,
) -> int:
    """Asks the running local stack's control API; prints its answer with `lines` (JSON with
    --json, or when no `lines` is given)."""
    import urllib.error

    api = _local_state(args)["api"]
    try:
        answer = _local_api(api, path, body, method=method, timeout=600)
        if lines is None or getattr(args, "json", False):
            print(json.dumps(answer, indent=2))
        else:
            print("\n".join(lines(answer)))
    except urllib.error.HTTPError as error:
        print(f"{error.code}: {error.read().decode()}", file=sys.stderr)
        return 1
    except urllib.error.URLError as error:
        print(f"the local stack at {api} does not answer ({error.reason})", file=sys.stderr)
        return 2
    return 0


def _local_api(
    api: str, path: str, body: object = None, *, method: str | None = None, timeout: float = 60
) -> Any:
    """The local stack's own control API (stack.json's `api`, never a user's URL): its JSON
    answer (a body given: POSTed). urllib is imported here, not at the top: only the local
    stack's commands speak to it, and a preview, a practice's first command, is spared it."""
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(api + path, data=data, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310
        return json.loads(response.read())


def _local_reply(args: argparse.Namespace) -> int:
    """A patient's text, as the carrier hands it to SNS: published on the inbound topic, which
    signs it and posts it to the webhook (InboundFunction); then what it was answered."""
    from reactivation_tools.local.stack import LocalStack

    description = _local_state(args)
    client = LocalStack.client_for(description["moto"])
    table = description["outputs"]["PracticeTableName"]
    practice = _stored_practice(client("dynamodb"), table, args.practice)
    if practice is None:
        return 1
    before = _outbox_to(description["api"], args.number)
    client("sns").publish(
        TopicArn=description["outputs"]["InboundSmsTopicArn"],
        Message=json.dumps({
            "originationNumber": args.number,
            "destinationNumber": practice.sending_number,
            "messageBody": args.text,
            "inboundMessageId": f"local-{time.time_ns()}",
        }),
    )  # fmt: skip
    _local_api(description["api"], "/_local/drain", {}, timeout=600)
    answers = _outbox_to(description["api"], args.number)[len(before) :]
    print(f'{args.number} -> {practice.name}: "{args.text}"')
    for body in answers:
        print(f'{practice.name} -> {args.number}: "{body}"')
    if not answers:
        print("no text answered it (see `reactivation conversation` and `handoffs list`)")
    return 0


def _outbox_to(api: str, number: str) -> list[str]:
    """The texts the local stack delivered to a number, oldest first."""
    return [m["body"] for m in _local_api(api, "/_local/outbox")["sms"] if m["to"] == number]


def _conversation(args: argparse.Namespace) -> int:
    """One patient's conversation: each outreach message (when, campaign, channel) and each
    reply (when, its words, how it was read), oldest first."""
    from datetime import timedelta

    from reactivation.adapters.outbox import OutboxRepository
    from reactivation.adapters.patients import PatientRepository
    from reactivation.adapters.replies import ReplyRepository
    from reactivation_tools.console import table

    deployment = _deployment(args)
    client, name = deployment.client("dynamodb"), deployment.outputs["PracticeTableName"]
    practice = _stored_practice(client, name, args.practice_id)
    if practice is None:
        return 1
    record = PatientRepository(client, name).record(args.practice_id, args.patient_id)
    if record is None:
        print(f"no patient {args.patient_id} at {args.practice_id}", file=sys.stderr)
        return 1
    now = _business_now(deployment)
    since = now - timedelta(days=args.days)
    rows: list[tuple[datetime, str, str, str]] = []
    for message in OutboxRepository(client, name).messages_between(
        args.practice_id, since, now + timedelta(days=1)
    ):
        if message.patient_id == args.patient_id:
            rows.append((message.sent_at, "sent", f"{message.campaign.value} by "
                         f"{message.channel.value}", ""))  # fmt: skip
    patient = record.patient
    if patient.mobile:
        for reply in ReplyRepository(client, name).conversation(args.practice_id, patient.mobile):
            rows.append((reply.received_at, "replied", f'"{reply.body}"', reply.intent.value))
    zone = practice.timezone
    print(f"{patient.first_name} ({args.patient_id}) at {practice.name}, the last "
          f"{args.days} days, {zone} time:")  # fmt: skip
    if not rows:
        print("  no message and no reply")
        return 0
    from zoneinfo import ZoneInfo

    shown = [(f"{at.astimezone(ZoneInfo(zone)):%a %b %d %H:%M}", what, text, read)
             for at, what, text, read in sorted(rows)]  # fmt: skip
    print(table(("when", "", "message", "read as"), shown))
    return 0


def _local_seed(args: argparse.Namespace) -> int:
    from reactivation_tools.local import demo
    from reactivation_tools.local.stack import LocalStack

    description = _local_state(args)
    today = datetime.fromisoformat(description["now"]).date()
    client = LocalStack.client_for(description["moto"])
    demo.seed(client("dynamodb"), description["outputs"]["PracticeTableName"], today)
    print(f"seeded {demo.PRACTICE.name} ({demo.PRACTICE.practice_id}) and its patients")
    return 0


def _classify(args: argparse.Namespace) -> int:
    """JSON Lines in, the same objects out with "intent" and "notify_staff" added (and
    "barrier", the reason a decline, not-now, question, billing question or complaint gives:
    null when it gives none or cannot carry one)."""
    from reactivation.domain.replies import classify

    refused = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('each line must be a JSON object with a "text" string')
        except ValueError as error:
            print(f"line {number}: {error}", file=sys.stderr)
            refused += 1
            continue
        result = classify(item["text"], opted_out=item.get("opted_out") is True)
        item["intent"] = result.intent.value
        item["notify_staff"] = result.notify_staff
        item["barrier"] = result.barrier
        print(json.dumps(item, ensure_ascii=False), flush=True)
    return 1 if refused else 0


def _preview(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from reactivation.domain.types import Vertical
    from reactivation_tools.preview import PreviewError, run_preview

    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"--timezone {args.timezone!r} is not a timezone name: write one like "
              "America/New_York (IANA)", file=sys.stderr)  # fmt: skip
        return 2
    if not 0 <= args.holdout <= 50:
        print(f"--holdout {args.holdout} must be a percent from 0 to 50", file=sys.stderr)
        return 2
    practice = _preview_practice(args) if args.practice else None
    if args.practice and practice is None:
        return 2
    try:
        result = run_preview(
            Path(args.directory),
            args.as_of,
            vertical=Vertical(args.vertical) if args.vertical else None,
            timezone=args.timezone,
            holdout_percent=args.holdout,
            country=args.country.upper(),
            practice=practice,
            explain=args.summary,
        )
    except PreviewError as error:
        print(error, file=sys.stderr)
        return 2
    for file in result.files:
        print(file.summary(), file=sys.stderr)
    if practice is not None:
        print(f"with {practice.practice_id}'s settings: {practice.timezone}, holdout "
              f"{practice.holdout_percent}%, campaigns {', '.join(sorted(practice.campaigns()))}",
              file=sys.stderr)  # fmt: skip
    if args.summary:
        print(result.table())
        print()
        print(result.explained())
        return 0
    for decision in result.decisions:
        print(
            json.dumps(
                {
                    "patient_id": decision.patient_id,
                    "campaign": decision.campaign.value if decision.campaign else None,
                    "skip": decision.skip.value if decision.skip else None,
                    "channel": decision.channel.value if decision.channel else None,
                    "holdout": decision.holdout,
                }
            )
        )
    return 0


def _preview_practice(args: argparse.Namespace) -> Any:
    """--practice: a configuration file (YAML or JSON), or a stored practice's id (the local
    stack's, or --aws-stack's); None after saying why on stderr."""
    from reactivation_tools.onboarding import PracticeConfigError, parse_practice

    path = Path(args.practice)
    if path.suffix in {".yaml", ".yml", ".json"} or path.is_file():
        try:
            return parse_practice(path.read_text(encoding="utf-8"),
                                  yaml_file=path.suffix in {".yaml", ".yml"})  # fmt: skip
        except OSError as error:
            print(f"--practice {path}: cannot be read ({error.strerror})", file=sys.stderr)
        except PracticeConfigError as error:
            print(f"--practice {path}: {error}", file=sys.stderr)
            for problem in error.problems:
                print(f"  {problem}", file=sys.stderr)
        return None
    client, table = _practice_table(args)
    return _stored_practice(client, table, args.practice)


@dataclass(frozen=True)
class Deployment:
    """A deployed stack (--aws-stack) or the running local stack: its clients and outputs."""

    client: Callable[[str], Any]
    outputs: dict[str, str]
    #: The local stack's control API (None on AWS, where Lambda runs by itself).
    local_api: str | None = None


def _deployment(args: argparse.Namespace) -> Deployment:
    import boto3

    if args.aws_stack:
        stack = boto3.client("cloudformation").describe_stacks(StackName=args.aws_stack)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Stacks"][0]["Outputs"]}
        return Deployment(lambda service: boto3.client(service), outputs)  # type: ignore[call-overload]
    from reactivation_tools.local.stack import LocalStack

    description = _local_state(args, hint=", and no --aws-stack was given")
    return Deployment(
        LocalStack.client_for(description["moto"]), description["outputs"], description["api"]
    )


def _practice_table(args: argparse.Namespace) -> tuple[Any, str]:
    """The practices' table: a deployed stack's (--aws-stack) or the running local stack's."""
    deployment = _deployment(args)
    return deployment.client("dynamodb"), deployment.outputs["PracticeTableName"]


def _sender_identities(args: argparse.Namespace) -> list[str] | None:
    """The SES identities the stack may send from (its SenderIdentities output); None: a stack
    deployed before it had them (nothing to check against)."""
    value = _deployment(args).outputs.get("SenderIdentities")
    return None if value is None else [i for i in value.split(",") if i.strip()]


def _stored_practice(client: Any, table: str, practice_id: str) -> Any:
    """The stored practice, or None after saying on stderr that there is none."""
    from reactivation.adapters.practices import PracticeRepository

    practice = PracticeRepository(client, table).get(practice_id)
    if practice is None:
        print(f"no practice {practice_id} in {table}", file=sys.stderr)
    return practice


def _import(args: argparse.Namespace) -> int:
    """Uploads DIR's export to the imports bucket and follows the import to its end."""
    from reactivation import clock
    from reactivation.adapters.imports import ExportStore, ImportRepository
    from reactivation.domain.importing import ExportFile
    from reactivation.domain.imports import ExportRef, ImportRecord, ImportStatus
    from reactivation_tools.exports import ExportDirectoryError, export_id_for, upload_export

    directory = Path(args.directory)
    deployment = _deployment(args)
    store = ExportStore(deployment.client("s3"), deployment.outputs["ImportsBucketName"])
    imports = ImportRepository(
        deployment.client("dynamodb"), deployment.outputs["PracticeTableName"]
    )
    ref = ExportRef(args.practice_id, args.export_id or export_id_for(clock.now()))
    try:
        upload_export(store, ref, directory)
    except ExportDirectoryError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"uploaded to {ref.key(ExportFile.PATIENTS).rsplit('/', 1)[0]}/", file=sys.stderr)
    drained = threading.Event()
    if deployment.local_api is not None:  # the local stack runs its queues on request
        api = deployment.local_api

        def drain() -> None:
            import urllib.error

            with contextlib.suppress(urllib.error.URLError):
                _local_api(api, "/_local/drain", {}, timeout=3600)
            drained.set()

        threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + args.wait
    record: ImportRecord | None = None
    while time.monotonic() < deadline:
        record = imports.get(ref)
        if record is not None:
            _progress(record)
            if record.finished:
                break
        elif drained.is_set():
            break  # the local stack ran its queues and no import started
        time.sleep(0.5)
    if deployment.local_api is not None:  # the local stack is idle when the command returns
        drained.wait(timeout=max(0.0, deadline - time.monotonic()))
    print(file=sys.stderr)
    if record is None or not record.finished:
        print(f"the import of {ref.export_id} did not finish (see the ingest function's log; a "
              "failed import waits in the import dead-letter queue)", file=sys.stderr)  # fmt: skip
        return 1
    results = directory / f"import-{ref.export_id}"
    results.mkdir(exist_ok=True)
    for key in record.results:
        (results / key.rsplit("/", 1)[1]).write_bytes(store.read_result(key))
    print(record.summary())
    print(f"results (summary.txt, rejected rows to fix and send again): {results}")
    if record.status is ImportStatus.NEEDS_REVIEW:
        print(f"needs review: no patient was marked inactive (the owners are emailed); "
              f"`reactivation import confirm {ref.practice_id} {ref.export_id}` once the "
              "export is known to be right", file=sys.stderr)  # fmt: skip
        return IMPORT_NEEDS_REVIEW
    return 0


#: `reactivation import`'s exit code for an import that waits for review (1: it did not
#: finish; 2: the command was wrong).
IMPORT_NEEDS_REVIEW = 3


def _import_confirm(args: argparse.Namespace) -> int:
    """Applies the inactive marking an import held back for review (`needs_review`)."""
    from reactivation import clock
    from reactivation.adapters.imports import ExportStore, ImportRepository
    from reactivation.adapters.patients import PatientRepository
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.domain.imports import ExportRef, ImportStatus
    from reactivation.services.ingest import IngestService, IngestStatus

    deployment = _deployment(args)
    dynamodb, table = deployment.client("dynamodb"), deployment.outputs["PracticeTableName"]

    class _NoContinuations:
        def request(self, ref: ExportRef) -> None:
            """The command runs the marking to its end itself."""

    service = IngestService(
        practices=PracticeRepository(dynamodb, table),
        patients=PatientRepository(dynamodb, table),
        imports=ImportRepository(dynamodb, table),
        exports=ExportStore(deployment.client("s3"), deployment.outputs["ImportsBucketName"]),
        continuations=_NoContinuations(),
    )
    ref = ExportRef(args.practice_id, args.export_id)
    record = ImportRepository(dynamodb, table).get(ref)
    if record is None:
        print(f"no import {args.export_id} of {args.practice_id} (see `reactivation import`)",
              file=sys.stderr)  # fmt: skip
        return 1
    if record.status is not ImportStatus.NEEDS_REVIEW:
        print(f"the import {args.export_id} of {args.practice_id} is {record.status.value}: "
              "nothing to confirm", file=sys.stderr)  # fmt: skip
        return 1
    outcome = service.confirm(ref, clock.now(), "operator")
    if outcome.status is not IngestStatus.COMPLETED or outcome.record is None:
        print(f"not confirmed ({outcome.status.value}): run it again", file=sys.stderr)
        return 1
    print(outcome.record.summary())
    return 0


def _progress(record: Any) -> None:
    size = sum(f.size for f in record.files.values()) or 1
    done = sum(min(f.bytes_read, f.size) for f in record.files.values())
    rows = sum(f.counts.rows_read for f in record.files.values())
    width = 30
    filled = int(width * done / size)
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * done // size:3d}%  {rows:,} rows  "
          f"{record.phase.value:<16}", end="", file=sys.stderr, flush=True)  # fmt: skip


def _practice_put(args: argparse.Namespace) -> int:
    from reactivation.adapters.practices import NumberTaken, PracticeChanged, PracticeRepository
    from reactivation_tools.onboarding import (
        PracticeConfigError,
        outside_sender_identities,
        parse_practice,
    )

    path = Path(args.file)
    try:
        practice = parse_practice(
            path.read_text(encoding="utf-8"), yaml_file=path.suffix in {".yaml", ".yml"}
        )
    except PracticeConfigError as error:
        print(f"{path}: {error}", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    problems = _override_problems(practice)
    if problems:
        print(f"{path}: {len(problems)} problems in the practice's own texts", file=sys.stderr)
        for problem in problems:
            print(f"  message_overrides.{problem}", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"{path}: valid ({practice.name}, {len(practice.campaigns())} campaigns)")
        return 0
    identities = _sender_identities(args)
    refused = outside_sender_identities(practice.from_email, identities or [])
    if identities is not None and refused is not None:
        print(f"not saved: {refused}", file=sys.stderr)
        return 1
    client, table = _practice_table(args)
    practices = PracticeRepository(client, table)
    stored = practices.get(practice.practice_id)
    changes = _practice_changes(stored, practice) if stored is not None else []
    if stored is not None and not changes:
        # saved all the same: a practice stored before numbers had their own item gets it
        print(f"{practice.practice_id} is already stored as {path} says: nothing to change")
    elif changes:
        print(f"{practice.practice_id} is stored in {table}; {path} changes:")
        for change in changes:
            print(f"  {change}")
        if not args.replace:
            print(f"not saved: {practice.practice_id} exists; --replace saves these changes",
                  file=sys.stderr)  # fmt: skip
            return 1
    try:
        practices.save(practice)
    except NumberTaken as taken:
        print(f"not saved: the sending number {taken.number} belongs to the practice "
              f"{taken.owner}; one number sends for one practice", file=sys.stderr)  # fmt: skip
        return 1
    except PracticeChanged:
        print(f"not saved: {practice.practice_id} was changed meanwhile; run it again",
              file=sys.stderr)  # fmt: skip
        return 1
    done = "saved" if stored is None else "replaced" if changes else "kept"
    print(f"{done} {practice.practice_id} ({practice.name}) in {table}")
    return 0


def _practice_changes(before: Any, after: Any) -> list[str]:
    """Each setting that differs, `name: before -> after` (a value as stored, in JSON)."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    changes = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            was, now = (json.dumps(v, sort_keys=True) for v in (old.get(name), new.get(name)))
            changes.append(f"{name}: {_short(was)} -> {_short(now)}")
    return changes


def _short(value: str, limit: int = 120) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _override_problems(practice: Any) -> list[Any]:
    from reactivation.domain.messages import MessageLibrary
    from reactivation.domain.template_checks import check_practice

    return check_practice(practice, MessageLibrary.default().keys())


def _templates_lint(args: argparse.Namespace) -> int:
    """The whole library, then (with --practices) every stored practice's own texts."""
    from reactivation.adapters.practices import PracticeRepository
    from reactivation.domain.messages import MessageLibrary
    from reactivation.domain.template_checks import check_all

    library = MessageLibrary.default()
    problems = [("library", p) for p in check_all(library.templates())]
    checked = f"the library ({len(library.templates())} texts"
    if args.practices:
        client, table = _practice_table(args)
        practices = PracticeRepository(client, table)
        count = overrides = 0
        for practice_id in practices.all_ids():
            practice = practices.get(practice_id)
            if practice is None:
                continue
            count += 1
            overrides += len(practice.message_overrides)
            problems += [(practice_id, p) for p in _override_problems(practice)]
        checked += f"), {overrides} own texts of {count} practices ("
    for owner, problem in problems:
        print(f"{owner}: {problem}", file=sys.stderr)
    print(f"checked {checked}): {len(problems)} problems")
    return 1 if problems else 0


def _templates_set(args: argparse.Namespace) -> int:
    """Saves a practice's own text for one message, refused with the reasons when it fails a
    check; --remove goes back to the approved text."""
    from reactivation.services.staff import UnknownPractice

    staff, table, _ = _staff(args)
    try:
        if args.remove:
            change = staff.clear_text(args.practice_id, args.key)
        else:
            text = args.text if args.text is not None else sys.stdin.read()
            change = staff.set_text(
                args.practice_id, args.key, text, allow_unicode=args.allow_unicode
            )
    except UnknownPractice:
        print(f"no practice {args.practice_id} in {table}", file=sys.stderr)
        return 1
    for problem in change.problems:
        print(f"refused: {problem}", file=sys.stderr)
    if not change.saved:
        return 1
    print(f"{args.practice_id}: {args.key} {'removed' if args.remove else 'saved'}")
    return 0


def _staff(args: argparse.Namespace) -> tuple[StaffService, str, Deployment]:
    """The staff's use cases on the deployment's table (a deployed stack's or the local one)."""
    from reactivation import wiring

    deployment = _deployment(args)
    client, table = deployment.client("dynamodb"), deployment.outputs["PracticeTableName"]
    service = wiring.staff_service_for(client, table)
    return service, table, deployment


def _business_now(deployment: Deployment) -> datetime:
    """The time staff act at: the clock's, or the local stack's own business time."""
    from reactivation import clock

    if deployment.local_api is None:
        return clock.now()
    return datetime.fromisoformat(_local_api(deployment.local_api, "/_local/state")["now"])


def _handoffs_list(args: argparse.Namespace) -> int:
    staff, _, _ = _staff(args)
    found = list(staff.open_handoffs(args.practice_id))
    for handoff in found:
        urgent = "URGENT " if handoff.urgent else ""
        print(f"{handoff.handoff_id}  {handoff.opened_at:%Y-%m-%d %H:%M}  {urgent}"
              f"{handoff.reason.value} -> {handoff.team.value}  "
              f"mobile ...{handoff.from_number[-4:]}  "
              f"chart {','.join(handoff.patient_ids) or '-'}")  # fmt: skip
    print(f"{len(found)} open handoffs", file=sys.stderr)
    return 0


def _handoffs_close(args: argparse.Namespace) -> int:
    """Closes a handoff with its outcome (resume, booked, end, opt_out); closing a clinical
    reply, a complaint or a sensitive reply lets outreach resume."""
    from reactivation.domain.handoffs import HandoffOutcome
    from reactivation.services.staff import NoOpenHandoff

    staff, _, deployment = _staff(args)
    try:
        closed = staff.close_handoff(
            args.practice_id, args.handoff_id, _business_now(deployment),
            HandoffOutcome(args.outcome), args.note, by="cli",
        )  # fmt: skip
    except NoOpenHandoff as error:
        print(error, file=sys.stderr)
        return 1
    said = [f"closed {args.handoff_id} as {closed.outcome.value}"]
    if closed.released:
        said.append("outreach may resume")
    if closed.resumed:
        said.append(f"{_plural(len(closed.resumed), 'sequence')} resumed")
    if closed.ended:
        said.append(f"{_plural(len(closed.ended), 'sequence')} ended")
    if closed.follow_up:
        said.append("the patient will be asked later whether to book")
    if closed.opted_out:
        said.append("the number is opted out")
    print("; ".join(said))
    return 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _replies_correct(args: argparse.Namespace) -> int:
    """Staff's reading of a reply replaces the classifier's; counted in the weekly report. A
    reply corrected to an opt-out opts the number out at once."""
    from reactivation.domain.conversation import Intent
    from reactivation.services.staff import UnknownReply

    staff, _, deployment = _staff(args)
    try:
        correction = staff.correct_reply(
            args.practice_id, args.inbound_id, Intent(args.intent), _business_now(deployment)
        )
    except UnknownReply as error:
        print(error, file=sys.stderr)
        return 1
    if not correction.changed:
        print(f"{args.inbound_id} is already {correction.after.value}")
        return 0
    opted_out = " (the number is opted out)" if correction.opted_out else ""
    print(f"{args.inbound_id}: {correction.before.value} -> {correction.after.value} "
          f"(correction counted){opted_out}")  # fmt: skip
    return 0


def _messages_unconfirmed(args: argparse.Namespace) -> int:
    """Texts and emails claimed and never confirmed (a crash between the channel taking a
    message and recording it): never sent again on their own; check them by job id."""
    from datetime import timedelta

    from reactivation import clock
    from reactivation.adapters.outbox import OutboxRepository

    client, table = _practice_table(args)
    before = clock.now() - timedelta(minutes=args.older_than_minutes)
    found = OutboxRepository(client, table).unconfirmed(args.practice_id, before)
    for job in found:
        print(f"{job.job_id}  {job.channel.value}  {job.campaign.value} step {job.step}")
    print(f"{len(found)} unconfirmed messages (claimed before {before:%Y-%m-%d %H:%M} UTC)",
          file=sys.stderr)  # fmt: skip
    return 0


def _messages_redrive(args: argparse.Namespace) -> int:
    """After the cause is fixed: the dead-letter queue's jobs go back to their queue. A job
    already sent is not sent again (its claim), an opted-out number is still never texted."""
    from reactivation.adapters.queue import DeadLetters

    deployment = _deployment(args)
    name = args.queue.capitalize()
    parked = DeadLetters(deployment.client("sqs"), deployment.outputs[f"{name}DeadLetterQueueUrl"])
    moved = parked.redrive(deployment.outputs[f"{name}QueueUrl"])
    print(f"{moved} {args.queue} jobs moved back to their queue")
    return 0


def _practice_show(args: argparse.Namespace) -> int:

    client, table = _practice_table(args)
    practice = _stored_practice(client, table, args.practice_id)
    if practice is None:
        return 1
    print(practice.model_dump_json(indent=2))
    pilot = f"; pilot: {practice.pilot.describe()}" if practice.pilot else "; no pilot"
    print(
        f"Limits: at most {practice.weekly_new_sequences} new sequences a week{pilot}; a "
        f"campaign that went unanswered waits {practice.no_reply_cooldown_days} days "
        "(any campaign: 60)",
        file=sys.stderr,
    )
    return 0


def go_live_commands(practice_commands: Any) -> None:
    """`practice registration` and `practice check` (docs/runbook.md)."""
    registration = practice_commands.add_parser(
        "registration", help="the texts a 10DLC or toll-free registration asks for"
    )
    registration.add_argument("practice_id")
    registration.set_defaults(run=_practice_registration)
    check = practice_commands.add_parser(
        "check", help="read-only: is the AWS account and stack ready for this practice?"
    )
    check.add_argument("practice_id")
    check.set_defaults(run=_practice_check)


def _practice_registration(args: argparse.Namespace) -> int:
    from reactivation.domain.messages import MessageLibrary
    from reactivation_tools.go_live import registration_texts

    client, table = _practice_table(args)
    practice = _stored_practice(client, table, args.practice_id)
    if practice is None:
        return 1
    print(registration_texts(practice, MessageLibrary.default()).render())
    return 0


def _practice_check(args: argparse.Namespace) -> int:
    import boto3

    from reactivation_tools.go_live import check

    if not args.aws_stack:
        print("practice check reads a real AWS account: give --aws-stack NAME", file=sys.stderr)
        return 2
    deployment = _deployment(args)
    practice = _stored_practice(
        deployment.client("dynamodb"), deployment.outputs["PracticeTableName"], args.practice_id
    )
    if practice is None:
        return 1
    stack = boto3.client("cloudformation").describe_stacks(StackName=args.aws_stack)["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    checks = check(
        deployment.client,
        deployment.outputs,
        practice,
        args.aws_stack,
        sms_channel=parameters.get("SmsChannel", "sns"),
        configuration_set=parameters.get("SmsConfigurationSet", ""),
    )
    for line in checks:
        print(line.render())
    missing = sum(not line.ok for line in checks)
    print(
        f"{len(checks) - missing} of {len(checks)} ready"
        + (f"; {missing} to fix" if missing else "")
    )
    return 1 if missing else 0


def _openings_import(args: argparse.Namespace) -> int:
    from reactivation.services.staff import UnknownPractice

    staff, table, deployment = _staff(args)
    path = Path(args.file)
    try:
        published = staff.publish_openings(
            args.practice_id, path.read_text(encoding="utf-8"), _business_now(deployment)
        )
    except UnknownPractice:
        print(f"no practice {args.practice_id} in {table}", file=sys.stderr)
        return 1
    for line, reason in published.problems:
        print(f"{path}:{line}: {reason}", file=sys.stderr)
    print(f"{path}: {published.read} openings read, {published.added} new, "
          f"{len(published.problems)} rows rejected")  # fmt: skip
    return 1 if published.problems else 0


def _openings_list(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from reactivation import clock
    from reactivation.adapters.openings import OpeningRepository
    from reactivation.domain.openings import HORIZON, described

    client, table = _practice_table(args)
    practice = _stored_practice(client, table, args.practice_id)
    if practice is None:
        return 1
    now = clock.now()
    for opening in OpeningRepository(client, table).upcoming(
        practice.practice_id, now - timedelta(days=1), now + HORIZON
    ):
        category = opening.category.value if opening.category else "any visit"
        print(f"{described(opening, practice.timezone)}  ({category})")
    return 0


def _report(args: argparse.Namespace) -> int:
    from reactivation import wiring
    from reactivation.domain.report import ReportWeek, render

    deployment = _deployment(args)
    table = deployment.outputs["PracticeTableName"]
    practice = _stored_practice(deployment.client("dynamodb"), table, args.practice_id)
    if practice is None:
        return 1
    try:
        week = ReportWeek.parse(args.week, practice.timezone)
    except ValueError:
        print(f"{args.week}: not an ISO week (YYYY-Www, e.g. 2026-W48)", file=sys.stderr)
        return 2
    service = wiring.report_service_for(
        deployment.client, table, deployment.outputs.get("ReportSenderAddress", "")
    )
    now = _business_now(deployment)  # the local stack keeps its own business time
    built = service.build(practice, week, now)
    email = render(built)
    out = Path(args.out or f"report-{practice.practice_id}-{week.label}.html")
    out.write_text(email.html, encoding="utf-8")
    out.with_suffix(".txt").write_text(email.text, encoding="utf-8")
    out.with_suffix(".csv").write_text(email.csv, encoding="utf-8")
    print(email.subject)
    print(f"wrote {out} (and {out.with_suffix('.txt').name}, {out.with_suffix('.csv').name})")
    if args.send:
        message_id = service.send(practice, built)
        print(f"sent to {len(practice.owner_emails)} owner address(es): {message_id}")
    return 0


def _practice_policy(args: argparse.Namespace) -> int:
    """The IAM policy of one practice's system: printed, or created as a managed policy."""
    from reactivation_tools.access import practice_writer_policy

    deployment = _deployment(args)
    caller = deployment.client("sts").get_caller_identity()
    partition, account = caller["Arn"].split(":")[1], caller["Account"]
    region = deployment.client("events").meta.region_name
    bus = deployment.outputs["PracticeEventsBusName"]
    try:
        policy = practice_writer_policy(
            args.practice_id,
            deployment.outputs["ImportsBucketName"],
            f"arn:{partition}:events:{region}:{account}:event-bus/{bus}",
            partition,
        )
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    document = json.dumps(policy, indent=2)
    if not args.create:
        print(document)
        return 0
    name = f"{args.aws_stack or 'reactivation-local'}-practice-{args.practice_id}"
    created = deployment.client("iam").create_policy(
        PolicyName=name,
        PolicyDocument=document,
        Description=f"What {args.practice_id}'s system may write: its exports and its events.",
    )
    print(created["Policy"]["Arn"])
    return 0


def _staff_directory(args: argparse.Namespace) -> tuple[Any, Deployment]:
    from reactivation.adapters.cognito import StaffDirectory

    deployment = _deployment(args)
    pool = deployment.outputs["StaffUserPoolId"]
    return StaffDirectory(deployment.client("cognito-idp"), pool), deployment


def _staff_invite(args: argparse.Namespace) -> int:
    """Invites a member of staff: Cognito emails a temporary password (on the local stack,
    which sends no email, it is printed), changed at the first sign-in."""
    from reactivation.domain.staff_access import Role
    from reactivation_tools.staff_users import temporary_password

    directory, deployment = _staff_directory(args)
    if _stored_practice(*_practice_table(args), args.practice_id) is None:
        return 1
    local = deployment.local_api is not None
    password = temporary_password() if local else None
    member, new = directory.invite(args.practice_id, args.email.strip().lower(),
                                   Role(args.role), password)  # fmt: skip
    if not new:
        print(f"{member.email} now works for {', '.join(member.practice_ids)} as {member.role}")
        return 0
    print(f"invited {member.email} to {args.practice_id} as {member.role}")
    if password:
        print(f"temporary password (the local stack sends no email): {password}")
    else:
        print("Cognito emailed them a temporary password, changed at their first sign-in")
    return 0


def _staff_list(args: argparse.Namespace) -> int:
    directory, _ = _staff_directory(args)
    members = directory.members(args.practice_id)
    for member in members:
        others = [p for p in member.practice_ids if p != args.practice_id]
        print(f"{member.email}  {member.role}  {member.status.lower()}"
              + ("" if member.enabled else "  disabled")
              + (f"  also {', '.join(others)}" if others else ""))  # fmt: skip
    print(f"{len(members)} staff", file=sys.stderr)
    return 0


def _staff_remove(args: argparse.Namespace) -> int:
    directory, _ = _staff_directory(args)
    if not directory.remove(args.practice_id, args.email.strip().lower()):
        print(f"no staff {args.email} for {args.practice_id}", file=sys.stderr)
        return 1
    print(f"removed {args.email} from {args.practice_id} (signed out everywhere)")
    return 0


def _staff_commands(commands: Any) -> None:
    staff_commands = _stack_group(commands, "staff", "who may sign in to the staff inbox")
    invite = staff_commands.add_parser(
        "invite", help="invite someone by email (a temporary password, changed at sign-in)"
    )
    invite.add_argument("practice_id")
    invite.add_argument("email")
    roles = _EnumValues("reactivation.domain.staff_access", "Role")
    invite.add_argument("--role", required=True, metavar="ROLE", choices=roles,
                        help="their role (a bad one lists them)")  # fmt: skip
    invite.set_defaults(run=_staff_invite)
    listed = staff_commands.add_parser("list", help="a practice's staff, their role and status")
    listed.add_argument("practice_id")
    listed.set_defaults(run=_staff_list)
    remove = staff_commands.add_parser(
        "remove", help="take the practice from someone (no practice left: deleted)"
    )
    remove.add_argument("practice_id")
    remove.add_argument("email")
    remove.set_defaults(run=_staff_remove)


def _stack_group(commands: Any, name: str, help: str) -> Any:
    """A command group that works on the running local stack, or a deployed one
    (`--aws-stack NAME`); returns its subcommands."""
    group = commands.add_parser(name, help=help)
    group.add_argument("--aws-stack", help="a deployed stack's name (default: the local stack)")
    return group.add_subparsers(dest=f"{name}_command", required=True)


class _EnumValues:
    """argparse `choices` read from an enum when first asked (a value given, a bad one, or
    --help), not when the parser is built: `preview` need not load the conversation's or
    the staff's modules to start."""

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name = module, name

    def _values(self) -> list[str]:
        import importlib

        return [member.value for member in getattr(importlib.import_module(self._module),
                                                   self._name)]  # fmt: skip

    def __contains__(self, value: object) -> bool:
        return value in self._values()

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="reactivation", description="Brings lapsed patients back to their practice."
    )
    parser.add_argument("--template", default="template.yaml", help="the SAM template")
    parser.add_argument(
        "--state-dir", default=str(STATE_DIR), help="logs and outbox of the local stack"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the whole slice on the local stack")
    demo.add_argument("--keep", "--keep-running", dest="keep_running", action="store_true",
                      help="leave the stack up afterwards (Ctrl-C stops it)")  # fmt: skip
    demo.set_defaults(run=_demo)

    classify = commands.add_parser(
        "classify",
        help='classify replies: JSON Lines on stdin (a "text" each), intents on stdout',
        description='Reads JSON Lines with at least "text" (and optional "opted_out": true); '
        'writes each object back with "intent" and "notify_staff". No AWS, no network.',
    )
    classify.set_defaults(run=_classify)

    practice_commands = _stack_group(commands, "practice", "onboard or show a practice")
    put = practice_commands.add_parser(
        "put",
        help="create a practice from a YAML or JSON file (every problem listed); changing "
        "one that exists shows the changes and needs --replace",
    )
    put.add_argument("file")
    put.add_argument("--dry-run", action="store_true", help="validate only")
    put.add_argument(
        "--replace",
        action="store_true",
        help="change a practice that exists (the changes are shown either way)",
    )
    put.set_defaults(run=_practice_put)
    show = practice_commands.add_parser("show", help="print a practice's stored configuration")
    show.add_argument("practice_id")
    show.set_defaults(run=_practice_show)
    go_live_commands(practice_commands)
    policy = practice_commands.add_parser(
        "policy",
        help="the IAM policy of a practice's system: its own exports and events only",
        description="Prints the IAM policy document that lets a practice's system write its "
        "exports (incoming/ID/), read its import results (results/ID/) and put events with "
        "the source reactivation.pms.ID on the practice events bus, and nothing else; "
        "--create creates it as a managed policy and prints its ARN.",
    )
    policy.add_argument("practice_id")
    policy.add_argument("--create", action="store_true", help="create it as a managed policy")
    policy.set_defaults(run=_practice_policy)

    handoff_commands = _stack_group(commands, "handoffs", "replies a person must answer")
    list_ = handoff_commands.add_parser("list", help="a practice's open handoffs, oldest first")
    list_.add_argument("practice_id")
    list_.set_defaults(run=_handoffs_list)
    close = handoff_commands.add_parser("close", help="close one with its outcome")
    close.add_argument("practice_id")
    close.add_argument("handoff_id")
    close.add_argument(
        "--outcome",
        choices=["resume", "booked", "end", "opt_out"],
        default="resume",
        help="answered, the sequence goes on (default); booked; end the sequence; opt the "
        "number out",
    )
    close.add_argument("--note", help="what was done")
    close.set_defaults(run=_handoffs_close)
    message_commands = _stack_group(commands, "messages", "the practice's outbound messages")
    unconfirmed = message_commands.add_parser(
        "unconfirmed", help="claimed, never confirmed: in doubt, never resent on their own"
    )
    unconfirmed.add_argument("practice_id")
    unconfirmed.add_argument("--older-than-minutes", type=int, default=10)
    unconfirmed.set_defaults(run=_messages_unconfirmed)
    redrive = message_commands.add_parser(
        "redrive", help="move the parked send jobs (or import jobs) back to their queue"
    )
    redrive.add_argument("queue", choices=["send", "import"], nargs="?", default="send")
    redrive.set_defaults(run=_messages_redrive)
    reply_commands = _stack_group(commands, "replies", "staff corrections of the classifier")
    correct = reply_commands.add_parser("correct", help="set a reply's intent (counted)")
    correct.add_argument("practice_id")
    correct.add_argument("inbound_id")
    intents = _EnumValues("reactivation.domain.conversation", "Intent")
    correct.add_argument("intent", metavar="INTENT", choices=intents,
                         help="the reply's intent (a bad one lists them)")  # fmt: skip
    correct.set_defaults(run=_replies_correct)

    _staff_commands(commands)

    opening_commands = _stack_group(commands, "openings", "the times a practice can see patients")
    load = opening_commands.add_parser(
        "import", help="publish a slots.csv (start, provider, category); bad rows listed by line"
    )
    load.add_argument("practice_id")
    load.add_argument("file")
    load.set_defaults(run=_openings_import)
    open_ = opening_commands.add_parser("list", help="the open times of the next three weeks")
    open_.add_argument("practice_id")
    open_.set_defaults(run=_openings_list)

    template_commands = _stack_group(
        commands, "templates", "check the messages; a practice's own texts"
    )
    lint = template_commands.add_parser(
        "lint", help="check the library (and, with --practices, every practice's own texts)"
    )
    lint.add_argument("--practices", action="store_true", help="also every stored practice's")
    lint.set_defaults(run=_templates_lint)
    set_ = template_commands.add_parser(
        "set", help="save a practice's own text for one message (refused if it fails a check)"
    )
    set_.add_argument("practice_id")
    set_.add_argument("key", help="the message, e.g. recall_due.1.en.sms or system.help.es")
    set_.add_argument("text", nargs="?", help="the template (default: read from stdin)")
    set_.add_argument(
        "--allow-unicode", action="store_true", help="the characters outside GSM-7 are meant"
    )
    set_.add_argument("--remove", action="store_true", help="go back to the approved text")
    set_.set_defaults(run=_templates_set)

    report = commands.add_parser(
        "report",
        help="render a practice's weekly report to an HTML file (and optionally email it)",
        description="Computes the week's outcomes as the report function does (bookings seen "
        "for the first time are kept) and writes FILE.html, .txt and .csv. The running local "
        "stack, or --aws-stack NAME.",
    )
    report.add_argument("practice_id", metavar="PRACTICE")
    report.add_argument("--week", required=True, help="the ISO week, e.g. 2026-W48")
    report.add_argument("--out", help="the HTML file (default report-PRACTICE-WEEK.html)")
    report.add_argument("--send", action="store_true", help="also email it to the owners")
    report.add_argument("--aws-stack", help="a deployed stack's name (default: the local stack)")
    report.set_defaults(run=_report)

    import_ = commands.add_parser(
        "import",
        help="import a practice's PMS export (DIR with the three CSV files) through the bucket",
        description="Uploads DIR/patients.csv, appointments.csv and plans.csv to the imports "
        "bucket under incoming/PRACTICE/EXPORT_ID/, as a practice's sync does, follows the "
        "import with a progress bar, prints its summary and writes its results (summary.txt, "
        "rejected-*.csv) to DIR/import-EXPORT_ID/. The running local stack, or --aws-stack. "
        "Exit 3: imported, but it would mark too many patients inactive (or too many rows "
        "were rejected): none was; `reactivation import confirm PRACTICE EXPORT_ID` does it.",
    )
    import_.add_argument("practice_id", metavar="PRACTICE")
    import_.add_argument("directory", metavar="DIR")
    import_.add_argument("--aws-stack", help="a deployed stack's name (default: the local stack)")
    import_.add_argument("--export-id", help="default: the upload time, e.g. 20261123T104500Z")
    import_.add_argument("--wait", type=float, default=3600, help="seconds to follow it")
    import_.set_defaults(run=_import)
    confirm = commands.add_parser(
        "import-confirm",
        help="(`import confirm PRACTICE EXPORT_ID`) mark inactive the patients an import held "
        "back for review",
    )
    confirm.add_argument("practice_id", metavar="PRACTICE")
    confirm.add_argument("export_id", metavar="EXPORT_ID")
    confirm.add_argument("--aws-stack", help="a deployed stack's name (default: the local stack)")
    confirm.set_defaults(run=_import_confirm)

    preview = commands.add_parser(
        "preview",
        help="who would be contacted and why, from a PMS export (offline)",
        description="Reads DIR/patients.csv (and appointments.csv, plans.csv if present), applies "
        "the campaign rules with no history as of 00:00 of --as-of, and writes one JSON object "
        "per patient; the import summary goes to standard error. No AWS, no network.",
    )
    preview.add_argument("directory", metavar="DIR")
    preview.add_argument("--as-of", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    preview.add_argument(
        "--vertical",
        choices=["dental", "medspa", "dermatology"],
        help="the vertical's default campaigns (default: every campaign)",
    )
    preview.add_argument("--timezone", default="America/New_York", help="the practice's (IANA)")
    preview.add_argument("--holdout", type=int, default=10, metavar="PERCENT")
    preview.add_argument("--country", default="US", help="for phone numbers without +")
    preview.add_argument("--summary", action="store_true",
                         help="tables instead: counts per campaign and skip reason, then each "
                         "patient with the fact that decided it")  # fmt: skip
    preview.add_argument(
        "--practice",
        metavar="FILE_OR_ID",
        help="a practice's configuration file (YAML/JSON) or stored id: its column map, "
        "campaigns, holdout, timezone and country (instead of those options)",
    )
    preview.add_argument("--aws-stack", help="with a stored --practice: a deployed stack's name")
    preview.set_defaults(run=_preview)

    conversation = commands.add_parser(
        "conversation",
        help="one patient's conversation: the messages sent and the replies, oldest first",
    )
    conversation.add_argument("practice_id", metavar="PRACTICE")
    conversation.add_argument("patient_id", metavar="PATIENT")
    conversation.add_argument("--days", type=int, default=90, help="how far back (default 90)")
    conversation.add_argument("--aws-stack", help="a deployed stack's name (default: local)")
    conversation.set_defaults(run=_conversation)

    local = commands.add_parser("local", help="the local stack (moto on 127.0.0.1)")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    up = local_commands.add_parser("up", help="start it in the foreground")
    up.add_argument("--moto-port", type=int, default=5055)
    up.add_argument("--api-port", type=int, default=3055)
    up.add_argument("--json", action="store_true", help="print the whole description as JSON")
    up.set_defaults(run=_local_up)
    from reactivation_tools import console

    fire = local_commands.add_parser("fire", help="fire a schedule of the template now")
    fire.add_argument("schedule", help="WeeklyEnrolment, DueFollowUps, WeeklyReport, ...")
    fire.add_argument("--at", type=datetime.fromisoformat, help="ISO time to fire it at")
    fire.add_argument("--json", action="store_true", help="the control API's answer, as JSON")
    fire.set_defaults(
        run=lambda a: _control(
            a, "POST", f"/_local/schedules/{a.schedule}",
            {"at": a.at.isoformat() if a.at else None},
            lambda answer: console.fired_lines(a.schedule, answer),
        )
    )  # fmt: skip
    seed = local_commands.add_parser("seed", help="write the demo practice and its patients")
    seed.set_defaults(run=_local_seed)
    drain = local_commands.add_parser("drain", help="feed the queues to their functions")
    drain.add_argument("--json", action="store_true", help="the control API's answer, as JSON")
    drain.set_defaults(
        run=lambda a: _control(a, "POST", "/_local/drain", {}, console.drained_lines)
    )
    outbox = local_commands.add_parser("outbox", help="SMS and emails AWS (moto) delivered")
    outbox.add_argument("--json", action="store_true", help="the control API's answer, as JSON")
    outbox.set_defaults(run=lambda a: _control(a, "GET", "/_local/outbox", None,
                                               console.outbox_lines))  # fmt: skip
    reply = local_commands.add_parser(
        "reply",
        help="a patient's text to the practice, through the SNS topic (signed, as SNS posts it)",
    )
    reply.add_argument("number", metavar="NUMBER", help="the patient's mobile, e.g. +12125550102")
    reply.add_argument("text", metavar="TEXT")
    reply.add_argument("--practice", default="bright-smile", help="default: the demo's")
    reply.set_defaults(run=_local_reply)
    clock = local_commands.add_parser("clock", help="set or advance the local clock")
    clock.add_argument("--at", type=datetime.fromisoformat)
    clock.add_argument("--advance-hours", type=float, default=0)
    clock.set_defaults(
        run=lambda a: _control(
            a,
            "POST",
            "/_local/clock",
            {"at": a.at.isoformat() if a.at else None, "advance_seconds": a.advance_hours * 3600},
        )
    )

    argv = list(sys.argv[1:] if argv is None else argv)
    at = argv.index("import") if "import" in argv else -1
    if at >= 0 and argv[at + 1 : at + 2] == ["confirm"]:  # `import PRACTICE DIR` keeps its
        argv[at : at + 2] = ["import-confirm"]  # positionals

    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
