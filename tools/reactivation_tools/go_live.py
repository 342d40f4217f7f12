"""Going live on AWS: the registration texts carriers ask for, and a read-only check of the
account and the stack before a practice's first text (docs/runbook.md walks through both).

`registration_texts` is pure: it renders the practice's own messages (its overrides
included) from the message library. `check` only reads: it calls describe/get/list APIs of
SNS, AWS End User Messaging SMS, SES, CloudFormation and EventBridge Scheduler, and says for
each step whether it is done, or what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reactivation.domain.messages import MessageLibrary, MessageValues, format_phone
from reactivation.domain.practice import Practice
from reactivation.domain.types import Campaign, Language

#: The first name the sample messages are rendered with.
SAMPLE_FIRST_NAME = "Alex"
#: How many first messages the registration shows (carriers ask for two to five samples).
SAMPLES = 5


@dataclass(frozen=True)
class RegistrationTexts:
    """What a 10DLC campaign or a toll-free verification asks for, from the practice's file."""

    use_case: str
    samples: tuple[str, ...]
    opt_in: str
    help_answer: str
    stop_answer: str
    volume: str

    def render(self) -> str:
        lines = ["Use case description", f"  {self.use_case}", "", "Sample messages"]
        lines += [f"  {number}. {sample}" for number, sample in enumerate(self.samples, 1)]
        lines += ["", "How patients opt in", f"  {self.opt_in}"]
        lines += ["", "HELP answer", f"  {self.help_answer}", "", "STOP answer"]
        lines += [f"  {self.stop_answer}", "", "Message volume", f"  {self.volume}"]
        return "\n".join(lines)


def registration_texts(practice: Practice, library: MessageLibrary) -> RegistrationTexts:
    """The registration texts: the practice's own first messages, HELP and STOP answers."""
    own = library.with_overrides(practice.override_texts())
    values = MessageValues(
        first_name=SAMPLE_FIRST_NAME,
        practice_name=practice.name,
        practice_phone=format_phone(practice.phone),
        booking_link=practice.booking_link,
    )
    campaigns = [c for c in Campaign if c in practice.campaigns() and c in own.campaigns()]
    samples = tuple(own.sms(c, 1, Language.EN, values) for c in campaigns[:SAMPLES])
    kind = {"dental": "dental practice", "medspa": "medical spa", "dermatology": "dermatology"}
    return RegistrationTexts(
        use_case=(
            f"{practice.name}, a {kind[practice.vertical.value]} "
            f"clinic, texts its own existing patients about their care: recall and check-up "
            f"reminders, unfinished treatment, missed appointments and follow-up visits, and "
            f"answers their replies (offering open appointment times, holding the one they pick, "
            f"or passing the conversation to the front desk). Messages go only to patients who "
            f"gave this mobile number to the practice; no purchased or shared lists; no "
            f"marketing to patients who did not consent to it in writing."
        ),
        samples=samples,
        opt_in=(
            f"Patients give their mobile number to {practice.name} on the patient registration "
            f"form, in person or online, which says that the practice will text them about "
            f"their appointments and care, up to 4 messages a month, that message and data "
            f"rates may apply, and that they can reply STOP to opt out or HELP for help. A "
            f"patient who declined texts there is never texted. Promotional messages go only "
            f"to patients who gave separate written consent to them."
        ),
        help_answer=own.system_sms("help", Language.EN, values),
        stop_answer=own.system_sms("opt_out_confirmation", Language.EN, values),
        volume="Up to 4 messages a month to a patient; a few hundred patients a week at most.",
    )


@dataclass(frozen=True)
class Check:
    """One go-live step: done, or not yet with what to do."""

    step: str
    ok: bool
    detail: str
    fix: str = ""

    def render(self) -> str:
        mark = "ok  " if self.ok else "FIX "
        line = f"{mark} {self.step}: {self.detail}"
        return line if self.ok else f"{line}\n       -> {self.fix}"


def _error(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "error"))


def check_sns_sms(sns: Any) -> list[Check]:
    """SNS SMS: out of the sandbox, and a monthly spend limit above AWS's $1 default."""
    checks = []
    sandbox = sns.get_sms_sandbox_account_status()["IsInSandbox"]
    checks.append(
        Check(
            "SNS SMS sandbox",
            not sandbox,
            "the account is in the SMS sandbox" if sandbox else "out of the sandbox",
            "SNS console > Text messaging (SMS) > Exit SMS sandbox (a support case; a day)",
        )
    )
    attributes = sns.get_sms_attributes(attributes=["MonthlySpendLimit"])["attributes"]
    limit = float(attributes.get("MonthlySpendLimit", "1") or "1")
    checks.append(
        Check(
            "SMS spend limit",
            limit > 1,
            f"${limit:,.0f} a month",
            "Service Quotas > SNS > 'SMS spending limit' increase, then "
            "aws sns set-sms-attributes --attributes MonthlySpendLimit=<USD> (a day)",
        )
    )
    return checks


def check_end_user_messaging(sms: Any, practice: Practice, inbound_topic: str) -> list[Check]:
    """The practice's number in AWS End User Messaging SMS: active (registered), two-way to
    the stack's inbound topic, and its opt-out list there."""
    identity = practice.origination_identity
    if not identity:
        return [
            Check(
                "origination identity",
                False,
                "the practice names no End User Messaging number",
                "set origination_identity (the phone number id) in the practice file",
            )
        ]
    try:
        number = sms.describe_phone_numbers(PhoneNumberIds=[identity])["PhoneNumbers"][0]
    except ClientError as error:
        return [
            Check(
                "phone number",
                False,
                f"{identity} not found ({_error(error)})",
                "request the number in End User Messaging SMS > Phone numbers",
            )
        ]
    checks = [
        Check(
            "phone number status",
            number["Status"] == "ACTIVE",
            f"{identity} is {number['Status']}",
            "finish its registration (End User Messaging SMS > Registrations): toll-free "
            "verification takes days, a 10DLC brand and campaign weeks",
        ),
        Check(
            "two-way SMS",
            bool(number.get("TwoWayEnabled")) and number.get("TwoWayChannelArn") == inbound_topic,
            "replies go to the stack's inbound topic"
            if number.get("TwoWayChannelArn") == inbound_topic
            else f"replies go to {number.get('TwoWayChannelArn') or 'nowhere'}",
            f"aws pinpoint-sms-voice-v2 update-phone-number --phone-number-id {identity} "
            f"--two-way-enabled --two-way-channel-arn {inbound_topic}",
        ),
    ]
    opt_out_list = practice.sms_opt_out_list or number.get("OptOutListName")
    if opt_out_list:
        try:
            sms.describe_opt_out_lists(OptOutListNames=[opt_out_list])
            checks.append(Check("opt-out list", True, f"{opt_out_list} exists"))
        except ClientError as error:
            checks.append(
                Check(
                    "opt-out list",
                    False,
                    f"{opt_out_list}: {_error(error)}",
                    f"aws pinpoint-sms-voice-v2 create-opt-out-list --opt-out-list-name "
                    f"{opt_out_list}",
                )
            )
    return checks


def check_email(sesv2: Any, practice: Practice) -> list[Check]:
    """SES: production access, and the practice's sender inside a verified identity with DKIM."""
    account = sesv2.get_account()
    production = bool(account.get("ProductionAccessEnabled"))
    checks = [
        Check(
            "SES production access",
            production,
            "production access" if production else "the account is in the SES sandbox",
            "SES console > Account dashboard > Request production access (about a day)",
        )
    ]
    domain = practice.from_email.split("@", 1)[1]
    found = None
    for identity in (practice.from_email, domain):
        try:
            found = (identity, sesv2.get_email_identity(EmailIdentity=identity))
            break
        except ClientError:
            continue
    if found is None:
        checks.append(
            Check(
                "sender identity",
                False,
                f"neither the address nor {domain} is an SES identity",
                f"aws sesv2 create-email-identity --email-identity {domain}, then add its "
                f"DKIM CNAME records to the domain's DNS",
            )
        )
        return checks
    name, identity = found
    verified = bool(identity.get("VerifiedForSendingStatus"))
    dkim = identity.get("DkimAttributes", {}).get("Status")
    checks.append(
        Check(
            "sender identity",
            verified and dkim == "SUCCESS",
            f"{name}: {'verified' if verified else 'not verified'}, DKIM {dkim or 'not set up'}",
            f"add the DKIM CNAME records of {name} (aws sesv2 get-email-identity "
            f"--email-identity {name}) to its DNS; SES checks them within hours",
        )
    )
    return checks


def check_sender_identity(practice: Practice, outputs: dict[str, str]) -> list[Check]:
    """The practice's from_email inside the SES identities the stack may send from (none to
    check on a stack deployed before it named them)."""
    from reactivation_tools.onboarding import outside_sender_identities

    value = outputs.get("SenderIdentities")
    if value is None:
        return []
    identities = [i for i in value.split(",") if i.strip()]
    why = outside_sender_identities(practice.from_email, identities)
    return [
        Check(
            "sender allowed by the stack",
            why is None,
            f"{practice.from_email} is inside {', '.join(identities)}" if why is None else why,
            "add the identity to SenderIdentities and deploy again (sam deploy "
            "--parameter-overrides SenderIdentities=...), or change from_email",
        )
    ]


def check_delivery_receipts(
    client: Callable[[str], Any],
    outputs: dict[str, str],
    *,
    sms_channel: str,
    configuration_set: str = "",
) -> list[Check]:
    """Delivery receipts reach the stack: SNS writes its SMS delivery status logs with the
    stack's role (every success sampled), or the End User Messaging configuration set texts
    go with publishes its events to the stack's receipts topic."""
    if "DeliveryReceiptsQueueUrl" not in outputs:
        return []  # a stack deployed before receipts were read
    topic = outputs.get("DeliveryReceiptsTopicArn", "")
    if sms_channel == "end_user_messaging":
        if not configuration_set:
            return [Check("delivery receipts", True, "the stack's own configuration set")]
        try:
            sets = client("pinpoint-sms-voice-v2").describe_configuration_sets(
                ConfigurationSetNames=[configuration_set]
            )["ConfigurationSets"]
        except ClientError as error:
            sets, detail = [], f"configuration set {configuration_set}: {_error(error)}"
        else:
            detail = f"configuration set {configuration_set} sends no events to {topic}"
        ready = any(
            d.get("Enabled") and d.get("SnsDestination", {}).get("TopicArn") == topic
            for s in sets
            for d in s.get("EventDestinations", [])
        )
        return [
            Check(
                "delivery receipts",
                ready,
                f"{configuration_set} publishes its events to the receipts topic" if ready
                else detail,
                f"aws pinpoint-sms-voice-v2 create-event-destination --configuration-set-name "
                f"{configuration_set} --event-destination-name delivery-receipts "
                f"--matching-event-types TEXT_ALL --sns-destination TopicArn={topic}",
            )
        ]  # fmt: skip
    role = outputs.get("DeliveryStatusLogsRoleArn")
    if role is None:
        return [
            Check(
                "delivery receipts",
                False,
                "the stack reads no SNS delivery status (SnsDeliveryStatusLogs is none)",
                "sam deploy --parameter-overrides SnsDeliveryStatusLogs=create (or existing, "
                "when the account has the sns/REGION/ACCOUNT/DirectPublishToPhoneNumber groups)",
            )
        ]
    wanted = ["DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate"]
    attributes = client("sns").get_sms_attributes(attributes=wanted)["attributes"]
    ready = (
        attributes.get("DeliveryStatusIAMRole") == role
        and attributes.get("DeliveryStatusSuccessSamplingRate") == "100"
    )
    return [
        Check(
            "delivery receipts",
            ready,
            "SNS logs every text's delivery status with the stack's role" if ready
            else "SNS does not log every text's delivery status with the stack's role",
            f"aws sns set-sms-attributes --attributes DeliveryStatusIAMRole={role},"
            "DeliveryStatusSuccessSamplingRate=100",
        )
    ]  # fmt: skip


def check_stack(
    sns: Any, cloudformation: Any, scheduler: Any, stack: str, inbound_topic: str
) -> list[Check]:
    """The stack: the inbound topic's HTTPS subscription confirmed, the schedules enabled."""
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=inbound_topic)["Subscriptions"]
    https = [s for s in subscriptions if s["Protocol"] == "https"]
    confirmed = [s for s in https if s["SubscriptionArn"].startswith("arn:")]
    checks = [
        Check(
            "inbound subscription",
            bool(confirmed),
            "confirmed" if confirmed else "not confirmed" if https else "missing",
            "redeploy (sam deploy): the inbound function confirms the subscription when SNS "
            "posts its SubscriptionConfirmation; check the function's log",
        )
    ]
    resources = cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    for resource in resources:
        if resource["ResourceType"] != "AWS::Scheduler::Schedule":
            continue
        name = resource["PhysicalResourceId"]
        state = scheduler.get_schedule(Name=name)["State"]
        checks.append(
            Check(
                f"schedule {resource['LogicalResourceId']}",
                state == "ENABLED",
                state.lower(),
                f"aws scheduler update-schedule --name {name} --state ENABLED (with its "
                f"target and expression, as get-schedule prints them)",
            )
        )
    return checks


def check(
    client: Callable[[str], Any],
    outputs: dict[str, str],
    practice: Practice,
    stack: str,
    *,
    sms_channel: str,
    configuration_set: str = "",
) -> list[Check]:
    """Every go-live step for one practice on a deployed stack; reads only."""
    topic = outputs["InboundSmsTopicArn"]
    checks = (
        check_end_user_messaging(client("pinpoint-sms-voice-v2"), practice, topic)
        if sms_channel == "end_user_messaging"
        else check_sns_sms(client("sns"))
    )
    checks += check_email(client("sesv2"), practice)
    checks += check_sender_identity(practice, outputs)
    checks += check_stack(
        client("sns"), client("cloudformation"), client("scheduler"), stack, topic
    )
    checks += check_delivery_receipts(
        client, outputs, sms_channel=sms_channel, configuration_set=configuration_set
    )
    return checks
