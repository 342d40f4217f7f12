"""What each function gets from template.yaml, resolved offline: stand-in names for the stack's
resources (no AWS, no moto). For the cold-start bench and the layer check, so that neither
types a variable or a resource name a second time.

`python -m reactivation_tools.local.environment ROOT OUT_DIR` writes, for each function, a file
OUT_DIR/<its CodeUri folder> of `export NAME=VALUE` lines (the layer check reads them).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from reactivation_tools.local.functions import FunctionSpec, function_specs
from reactivation_tools.local.stack import LOCAL_PARAMETERS
from reactivation_tools.local.template import Resolver, Template

REGION, ACCOUNT = "us-east-1", "123456789012"


def _stand_in(logical_id: str) -> tuple[str, dict[str, str]]:
    """What Ref and GetAtt give for a resource, in the shape of its kind's real values."""
    name = f"offline-{logical_id}"
    if "Queue" in logical_id:
        ref = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        return ref, {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}", "QueueName": name}
    if "Topic" in logical_id:
        ref = f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
        return ref, {"TopicName": name}
    if logical_id.endswith("UserPool"):  # a Cognito pool's id: <region>_<letters and digits>
        return f"{REGION}_offline", {"Arn": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool"}
    arn = f"arn:aws:{logical_id.lower()}:{REGION}:{ACCOUNT}:{name}"
    return name.lower(), {"Arn": arn}


def offline_specs(template_path: Path, stack_name: str = "offline") -> dict[str, FunctionSpec]:
    template = Template.load(template_path)
    resolver = Resolver(
        parameters={**template.parameter_defaults(), **LOCAL_PARAMETERS},
        pseudo={"AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                "AWS::StackName": stack_name, "AWS::Partition": "aws"},
        resource=_stand_in,
    )  # fmt: skip
    return function_specs(template, resolver)


def main(argv: list[str]) -> int:
    root, out = Path(argv[1]), Path(argv[2])
    for spec in offline_specs(root / "template.yaml").values():
        exports = (
            f"export {name}={shlex.quote(value)}\n" for name, value in spec.environment.items()
        )
        (out / spec.code_dir.name).write_text("".join(exports), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
