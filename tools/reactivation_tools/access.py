"""Per-practice credentials: the IAM policy a practice's system (or its sync) gets, limited to
its own practice: its exports under `incoming/<practice id>/` of the imports bucket, its
import results under `results/<practice id>/`, and its events on the practice events bus
with the source `reactivation.pms.<practice id>` (which the appointments function checks
against the event's practice). `reactivation practice policy ID` prints it or creates it."""

from __future__ import annotations

import re
from typing import Any

from reactivation.events import pms_source

#: A practice id as the practice's configuration has it: never a wildcard or a path.
PRACTICE_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
#: What a practice's system puts on the practice events bus.
DETAIL_TYPES = ["Appointment Changed", "Openings Published"]


def practice_writer_policy(
    practice_id: str, bucket: str, bus_arn: str, partition: str = "aws"
) -> dict[str, Any]:
    """The IAM policy document of one practice's writer (ValueError for a bad practice id)."""
    if not PRACTICE_ID.fullmatch(practice_id):
        raise ValueError(f"not a practice id: {practice_id!r}")
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PutItsOwnExports",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/incoming/{practice_id}/*",
            },
            {
                "Sid": "ReadItsOwnImportResults",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/results/{practice_id}/*",
            },
            {
                "Sid": "ListItsOwnPrefixes",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {
                    "StringLike": {
                        "s3:prefix": [f"incoming/{practice_id}/*", f"results/{practice_id}/*"]
                    }
                },
            },
            {
                "Sid": "PutItsOwnEvents",
                "Effect": "Allow",
                "Action": "events:PutEvents",
                "Resource": bus_arn,
                "Condition": {
                    "StringEquals": {
                        "events:source": pms_source(practice_id),
                        "events:detail-type": DETAIL_TYPES,
                    }
                },
            },
        ],
    }
