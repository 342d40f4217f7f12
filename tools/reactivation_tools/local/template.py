"""Reading template.yaml: CloudFormation's YAML tags, SAM's Globals, and the intrinsic functions."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PSEUDO_PARAMETERS = ("AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::Partition")


class TemplateError(ValueError):
    """The template uses something the local stack cannot stand in for."""


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms: !Ref X -> {"Ref": X}, !Sub s -> {"Fn::Sub": s}."""


def _tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


@dataclass(frozen=True)
class Template:
    path: Path
    body: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Template:
        # B506: a SafeLoader subclass
        body = yaml.load(path.read_text("utf-8"), Loader=_CfnLoader)  # noqa: S506  # nosec B506
        if not isinstance(body, dict) or "Resources" not in body:
            raise TemplateError(f"{path} is not a CloudFormation template")
        return cls(path=path, body=body)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.body["Resources"]
        return resources

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == resource_type}

    def parameter_defaults(self) -> dict[str, str]:
        return {
            name: str(spec["Default"])
            for name, spec in self.body.get("Parameters", {}).items()
            if "Default" in spec
        }

    def function_properties(self, logical_id: str) -> dict[str, Any]:
        """A function's properties with SAM's Globals merged in (maps merged, lists added)."""
        merged = dict(self.body.get("Globals", {}).get("Function", {}))
        for key, value in self.resources[logical_id].get("Properties", {}).items():
            if key in merged and isinstance(value, dict) and isinstance(merged[key], dict):
                merged[key] = _merge(merged[key], value)
            elif key in merged and isinstance(value, list) and isinstance(merged[key], list):
                merged[key] = merged[key] + value
            else:
                merged[key] = value
        return merged


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass
class Resolver:
    """Evaluates Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If against the local stack's values."""

    parameters: Mapping[str, str]
    pseudo: Mapping[str, str]
    conditions: Mapping[str, bool] = field(default_factory=dict)
    #: Looks a resource up (creating it first if needed): its Ref value and its attributes.
    resource: Callable[[str], tuple[str, Mapping[str, str]]] = lambda name: ("", {})

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.resource(name)[0]

    def get_att(self, name: str, attribute: str) -> str:
        attributes = self.resource(name)[1]
        if attribute not in attributes:
            raise TemplateError(f"{name}.{attribute} is not known to the local stack")
        return attributes[attribute]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.get_att(arg[0], arg[1])
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                return str(arg[0]).join(str(self.resolve(v)) for v in self.resolve(arg[1]))
            if key == "Fn::If":
                return self.resolve(arg[1] if self.conditions.get(arg[0], False) else arg[2])
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported by the local stack")
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: str | list[Any]) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and name not in self.pseudo:
                resource, attribute = name.split(".", 1)
                return self.get_att(resource, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def evaluate_conditions(body: Mapping[str, Any], resolver: Resolver) -> dict[str, bool]:
    """The template's Conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or) for these parameters."""

    def truth(expression: Any) -> bool:
        ((key, arg),) = expression.items()
        if key == "Fn::Equals":
            return bool(resolver.resolve(arg[0]) == resolver.resolve(arg[1]))
        if key == "Fn::Not":
            return not truth(arg[0])
        if key == "Fn::And":
            return all(truth(a) for a in arg)
        if key == "Fn::Or":
            return any(truth(a) for a in arg)
        if key == "Condition":
            return truth(body["Conditions"][arg])
        raise TemplateError(f"condition {key} is not supported by the local stack")

    return {name: truth(expr) for name, expr in body.get("Conditions", {}).items()}
