import pytest

from reactivation_tools.local.template import Resolver, TemplateError


def resolver() -> Resolver:
    return Resolver(
        parameters={"Stage": "prod"},
        pseudo={"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"},
        conditions={"IsProd": True},
        resource=lambda name: (f"ref-{name}", {"Arn": f"arn-{name}"}),
    )


def test_intrinsics() -> None:
    r = resolver()
    assert r.resolve({"Ref": "Stage"}) == "prod"
    assert r.resolve({"Ref": "Queue"}) == "ref-Queue"
    assert r.resolve({"Fn::GetAtt": ["Queue", "Arn"]}) == "arn-Queue"
    assert r.resolve({"Fn::Sub": "${Queue.Arn}/x/${AWS::Region}/${Stage}"}) == (
        "arn-Queue/x/us-east-1/prod"
    )
    assert r.resolve({"Fn::Sub": ["${A}-${Stage}", {"A": {"Ref": "Queue"}}]}) == "ref-Queue-prod"
    assert r.resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}) == "a-prod"
    assert r.resolve({"Fn::If": ["IsProd", "yes", "no"]}) == "yes"
    assert r.resolve([{"Ref": "Stage"}, {"k": {"Ref": "Stage"}}]) == ["prod", {"k": "prod"}]


def test_unknown_intrinsics_and_attributes_are_refused() -> None:
    with pytest.raises(TemplateError):
        resolver().resolve({"Fn::ImportValue": "x"})
    with pytest.raises(TemplateError):
        resolver().resolve({"Fn::GetAtt": ["Queue", "QueueUrl"]})
