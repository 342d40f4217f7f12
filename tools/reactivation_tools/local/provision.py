"""Creates the template's stateful resources in moto: tables, queues, topics, buckets, identities.

Every property comes from template.yaml; nothing here repeats a name, a key or a setting.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reactivation_tools.local.template import Resolver, Template, TemplateError, evaluate_conditions

ClientFactory = Callable[[str], Any]


@dataclass(frozen=True)
class Physical:
    """A resource as the local stack made it: what Ref answers and its attributes."""

    logical_id: str
    type: str
    ref: str
    attributes: Mapping[str, str] = field(default_factory=dict)


class Provisioner:
    def __init__(
        self,
        template: Template,
        client: ClientFactory,
        *,
        stack_name: str,
        region: str,
        account: str,
        parameters: Mapping[str, str] | None = None,
        api_base_url: str | None = None,
    ) -> None:
        self.template = template
        self._client = client
        self.stack_name = stack_name
        self.region = region
        self.account = account
        self.api_base_url = api_base_url
        self.created: dict[str, Physical] = {}
        self._in_progress: set[str] = set()
        values = {**template.parameter_defaults(), **(parameters or {})}
        missing = [p for p in template.body.get("Parameters", {}) if p not in values]
        if missing:
            raise TemplateError(f"parameters without a value: {', '.join(missing)}")
        self.resolver = Resolver(
            parameters=values,
            pseudo={
                "AWS::Region": region,
                "AWS::AccountId": account,
                "AWS::StackName": stack_name,
                "AWS::Partition": "aws",
            },
            resource=self._lookup,
        )
        self.resolver.conditions = evaluate_conditions(template.body, self.resolver)

    # -- lookups -----------------------------------------------------------------
    def _lookup(self, logical_id: str) -> tuple[str, Mapping[str, str]]:
        physical = self.ensure(logical_id)
        return physical.ref, physical.attributes

    def name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    def local_url(self, url: str) -> str:
        """An API Gateway URL of this stack as the local API serves it (others unchanged)."""
        api = re.match(r"^https://[^/]+\.execute-api\.[^/]+\.amazonaws\.com(/.*)?$", url)
        if api is None or not self.api_base_url:
            return url
        return self.api_base_url + (api.group(1) or "")

    # -- creation ----------------------------------------------------------------
    def provision(self) -> dict[str, Physical]:
        for logical_id, spec in self.template.resources.items():
            condition = spec.get("Condition")
            if condition and not self.resolver.conditions.get(condition, False):
                continue
            self.ensure(logical_id)
        return self.created

    def ensure(self, logical_id: str) -> Physical:
        if logical_id in self.created:
            return self.created[logical_id]
        if logical_id not in self.template.resources:
            raise TemplateError(f"{logical_id} is not a resource of the template")
        if logical_id in self._in_progress:
            raise TemplateError(f"circular reference through {logical_id}")
        self._in_progress.add(logical_id)
        spec = self.template.resources[logical_id]
        kind = spec["Type"]
        creator = _CREATORS.get(kind, Provisioner._reference_only)
        physical = creator(self, logical_id, spec.get("Properties", {}))
        self._in_progress.discard(logical_id)
        self.created[logical_id] = physical
        return physical

    def _props(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        resolved: dict[str, Any] = self.resolver.resolve(dict(properties))
        return resolved

    def _table(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        props = self._props(properties)
        name = props.get("TableName") or self.name(logical_id)
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
            if key in props:
                request[key] = props[key]
        if "StreamSpecification" in props:
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if props.get("SSESpecification", {}).get("SSEEnabled"):
            request["SSESpecification"] = {"Enabled": True}
        client = self._client("dynamodb")
        client.create_table(**request)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        pitr = props.get("PointInTimeRecoverySpecification", {})
        if pitr.get("PointInTimeRecoveryEnabled"):
            client.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        arn = self.arn("dynamodb", f"table/{name}")
        return Physical(logical_id, "AWS::DynamoDB::Table", name, {"Arn": arn})

    def _queue(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        props = self._props(properties)
        name = props.get("QueueName") or self.name(logical_id)
        attributes = {k: _attribute(v) for k, v in props.items() if k not in {"QueueName", "Tags"}}
        url = self._client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.arn("sqs", name)
        return Physical(
            logical_id,
            "AWS::SQS::Queue",
            url,
            {"Arn": arn, "QueueName": name, "QueueUrl": url},
        )

    def _topic(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        props = self._props(properties)
        name = props.get("TopicName") or self.name(logical_id)
        kept = {"KmsMasterKeyId", "DisplayName", "SignatureVersion"}
        attributes = {k: str(v) for k, v in props.items() if k in kept}
        arn = self._client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        return Physical(logical_id, "AWS::SNS::Topic", arn, {"TopicArn": arn, "TopicName": name})

    def _subscription(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        props = self._props(properties)
        raw = str(props.get("RawMessageDelivery", False)).lower()
        if props["Protocol"] == "sqs":  # a topic feeding one of the stack's queues
            arn = self._client("sns").subscribe(
                TopicArn=props["TopicArn"], Protocol="sqs", Endpoint=str(props["Endpoint"]),
                Attributes={"RawMessageDelivery": raw}, ReturnSubscriptionArn=True,
            )["SubscriptionArn"]  # fmt: skip
            return Physical(logical_id, "AWS::SNS::Subscription", arn)
        endpoint = self.local_url(str(props["Endpoint"]))
        if props["Protocol"] not in {"http", "https"} or not endpoint.startswith("http://"):
            # Only the deliveries to our own API can happen on this machine.
            return self._reference_only(logical_id, properties)
        attributes = {"RawMessageDelivery": str(props.get("RawMessageDelivery", False)).lower()}
        for policy in ("DeliveryPolicy", "RedrivePolicy"):  # retries, and the dead-letter queue
            if policy in props:
                attributes[policy] = json.dumps(props[policy])
        arn = self._client("sns").subscribe(
            TopicArn=props["TopicArn"],
            Protocol="http",
            Endpoint=endpoint,
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return Physical(logical_id, "AWS::SNS::Subscription", arn)

    def _bucket(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        props = self._props(properties)
        name = str(props.get("BucketName") or self.name(logical_id)).lower()
        s3 = self._client("s3")
        s3.create_bucket(Bucket=name)
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration=props["VersioningConfiguration"]
            )
        if "BucketEncryption" in props:
            rules = [  # CloudFormation's name for the API's ApplyServerSideEncryptionByDefault
                {"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
                for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(
                Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules}
            )
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if props.get("NotificationConfiguration", {}).get("EventBridgeConfiguration"):
            s3.put_bucket_notification_configuration(
                Bucket=name,
                NotificationConfiguration={"EventBridgeConfiguration": {}},
            )
        return Physical(
            logical_id, "AWS::S3::Bucket", name, {"Arn": f"arn:aws:s3:::{name}", "DomainName": name}
        )

    def _event_bus(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        name = str(self._props(properties)["Name"])
        arn = self._client("events").create_event_bus(Name=name)["EventBusArn"]
        return Physical(logical_id, "AWS::Events::EventBus", name, {"Arn": arn, "Name": name})

    def _rule(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        """An EventBridge rule and its targets (moto delivers to queue targets)."""
        props = self._props(properties)
        name = props.get("Name") or self.name(logical_id)
        bus = str(props.get("EventBusName", "default"))
        events = self._client("events")
        request: dict[str, Any] = {"Name": name, "EventBusName": bus}
        if "EventPattern" in props:
            request["EventPattern"] = json.dumps(props["EventPattern"])
        if "ScheduleExpression" in props:
            request["ScheduleExpression"] = props["ScheduleExpression"]
        arn = events.put_rule(**request)["RuleArn"]
        targets = [{"Id": t["Id"], "Arn": t["Arn"]} for t in props.get("Targets", [])]
        if targets:
            events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
        return Physical(logical_id, "AWS::Events::Rule", name, {"Arn": arn})

    def _email_identity(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        identity = str(self._props(properties)["EmailIdentity"])
        self._client("sesv2").create_email_identity(EmailIdentity=identity)
        return Physical(logical_id, "AWS::SES::EmailIdentity", identity)

    def _secret(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        """A secret; a generated one gets random letters and digits of the asked length."""
        props = self._props(properties)
        value = props.get("SecretString")
        if value is None:
            length = int(props.get("GenerateSecretString", {}).get("PasswordLength", 32))
            alphabet = string.ascii_letters + string.digits
            value = "".join(secrets.choice(alphabet) for _ in range(length))
        arn = self._client("secretsmanager").create_secret(
            Name=str(props.get("Name") or self.name(logical_id)), SecretString=str(value)
        )["ARN"]
        return Physical(logical_id, "AWS::SecretsManager::Secret", arn, {"Id": arn})

    def _kms_key(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        description = str(self._props(properties).get("Description", logical_id))
        key = self._client("kms").create_key(Description=description)["KeyMetadata"]
        return Physical(logical_id, "AWS::KMS::Key", key["KeyId"],
                        {"Arn": key["Arn"], "KeyId": key["KeyId"]})  # fmt: skip

    def _user_pool(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        """A Cognito user pool in moto (which serves its JWKS and signs its tokens)."""
        props = self._props(properties)
        request: dict[str, Any] = {"PoolName": str(props.get("UserPoolName") or
                                                   self.name(logical_id))}  # fmt: skip
        for key in ("UsernameAttributes", "AutoVerifiedAttributes", "AdminCreateUserConfig",
                    "Policies", "MfaConfiguration", "UsernameConfiguration"):  # fmt: skip
            if key in props:
                request[key] = props[key]
        request["Schema"] = [
            {k: v for k, v in attribute.items()} for attribute in props.get("Schema", [])
        ]
        pool = self._client("cognito-idp").create_user_pool(**request)["UserPool"]
        return Physical(logical_id, "AWS::Cognito::UserPool", pool["Id"],
                        {"Arn": pool["Arn"], "ProviderName": pool["Id"]})  # fmt: skip

    def _user_pool_client(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        props = self._props(properties)
        kept = {"ClientName", "GenerateSecret", "ExplicitAuthFlows", "ReadAttributes",
                "WriteAttributes", "PreventUserExistenceErrors"}  # fmt: skip
        request = {k: v for k, v in props.items() if k in kept}
        request.setdefault("ClientName", self.name(logical_id))
        client = self._client("cognito-idp").create_user_pool_client(
            UserPoolId=str(props["UserPoolId"]), **request
        )["UserPoolClient"]
        return Physical(logical_id, "AWS::Cognito::UserPoolClient", client["ClientId"])

    def _reference_only(self, logical_id: str, properties: Mapping[str, Any]) -> Physical:
        """Code, permissions, alarms and the like: nothing to create, only a name to refer to."""
        kind = self.template.resources[logical_id]["Type"]
        name = self.name(logical_id)
        attributes = {"Arn": self.arn(kind.split("::")[1].lower(), name)}
        return Physical(logical_id, kind, name, attributes)


def _attribute(value: Any) -> str:
    """A queue attribute as SQS takes it: booleans lower-case, policies as JSON."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


_CREATORS: dict[str, Callable[[Provisioner, str, Mapping[str, Any]], Physical]] = {
    "AWS::DynamoDB::Table": Provisioner._table,
    "AWS::SQS::Queue": Provisioner._queue,
    "AWS::SNS::Topic": Provisioner._topic,
    "AWS::SNS::Subscription": Provisioner._subscription,
    "AWS::S3::Bucket": Provisioner._bucket,
    "AWS::SES::EmailIdentity": Provisioner._email_identity,
    "AWS::Events::EventBus": Provisioner._event_bus,
    "AWS::Events::Rule": Provisioner._rule,
    "AWS::SecretsManager::Secret": Provisioner._secret,
    "AWS::KMS::Key": Provisioner._kms_key,
    "AWS::Cognito::UserPool": Provisioner._user_pool,
    "AWS::Cognito::UserPoolClient": Provisioner._user_pool_client,
}
