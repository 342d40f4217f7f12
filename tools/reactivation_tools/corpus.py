"""The reply corpus (corpus/replies/): labelled replies by independent writers, split by
writer into train, dev and test (corpus/replies/README.md). The test writers' replies measure
generalisation only: nothing is tuned on them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SPLIT: dict[str, tuple[str, ...]] = {
    "train": (
        "w01",
        "w03",
        "w05",
        "w07",
        "w08",
        "w09",
        "w10",
        "w11",
        "w12",
        "w13",
        "w14",
        "w15",
        "w16",
        "w17",
        "w18",
        "w19",
    ),
    "dev": ("w04", "w20"),
    "test": ("w02", "w06"),
}


@dataclass(frozen=True)
class LabelledReply:
    id: str
    writer: str
    text: str
    intent: str
    notify_staff: bool
    barrier: str | None
    opted_out: bool


def load(directory: Path, part: str) -> list[LabelledReply]:
    """Every reply of one part of the split, in file order."""
    replies: list[LabelledReply] = []
    for writer in SPLIT[part]:
        with (directory / f"{writer}.jsonl").open(encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                replies.append(
                    LabelledReply(
                        id=row["id"],
                        writer=row["writer"],
                        text=row["text"],
                        intent=row["intent"],
                        notify_staff=row["notify_staff"],
                        barrier=row["barrier"],
                        opted_out=row.get("opted_out", False),
                    )
                )
    return replies
