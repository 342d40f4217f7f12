"""template.yaml's security findings of issue #16: SMS publishing never reaches a topic, the
unsubscribe signing key outlives the stack, the practice events name their practice."""

from typing import Any

from tests.test_template import SETTINGS, SPEC, statements

EVERY_TOPIC = {"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}


def test_no_function_may_publish_to_a_topic_only_to_phone_numbers() -> None:
    publishers: list[str] = []
    for function in SETTINGS:
        for statement in statements(function):
            actions = statement["Action"]
            actions = actions if isinstance(actions, list) else [actions]
            assert statement.get("Resource") != "*", (function, statement)  # no action on "*"
            if "sns:Publish" in actions:
                # allowed on everything but a topic: the phone numbers, never the inbound
                # topic (SNS would sign a forged reply) nor any other
                assert actions == ["sns:Publish"]
                assert statement["NotResource"] == EVERY_TOPIC, (function, statement)
                publishers.append(function)
    assert sorted(publishers) == [
        "InboundFunction", "InboundRedriveFunction", "SendFunction", "StaffInboxFunction"
    ]  # fmt: skip


def test_the_unsubscribe_signing_key_outlives_the_stack() -> None:
    # links in emails already sent must keep working (30 days at least) after a redeploy,
    # a replacement or a deletion: the key is retained
    secret = SPEC.resources["UnsubscribeSigningKey"]
    assert secret["DeletionPolicy"] == "Retain"
    assert secret["UpdateReplacePolicy"] == "Retain"


def _sources(rule: str) -> list[Any]:
    pattern: dict[str, Any] = SPEC.resources[rule]["Properties"]["EventPattern"]
    return list(pattern["source"])


def test_the_practice_events_rules_take_the_sources_that_name_a_practice() -> None:
    for rule in ("AppointmentChangedRule", "OpeningsPublishedRule"):
        # reactivation.pms.<practice id>; a bare reactivation.pms still reaches the queue, to
        # be refused there with its reason (a practice's system not yet moved on is not lost)
        assert _sources(rule) == [{"prefix": "reactivation.pms."}, "reactivation.pms"], rule
