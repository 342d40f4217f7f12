"""A hosted model's second opinion on an unsure reply: Amazon Bedrock's Converse API
(bedrock-runtime `converse`; request and response shapes as in the API reference,
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html, which also
says Converse needs `bedrock:InvokeModel`).

One short call, no retries (the client is built so), and on any failure the local reading
stands: the caller gets None and the failure is counted. The request carries the reply's text
alone (domain/second_opinion.py builds it); nothing here logs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reactivation.domain.conversation import Intent
from reactivation.domain.second_opinion import SYSTEM_PROMPT, parse, prompt
from reactivation.observability import logger

#: One intent id is at most 4 tokens; a few more let a model close its turn.
MAX_TOKENS = 10
#: How a model may end an answer we read (a cut-off answer is not read).
FINISHED = frozenset({"end_turn", "stop_sequence"})

#: The metric each outcome counts (the inbound function's namespace).
ASKED = "SecondOpinionsAsked"
FAILED = "SecondOpinionFailures"
UNREAD = "SecondOpinionsUnread"


class BedrockSecondOpinion:
    """`ask(text)`: the intent the model reads in a reply, or None (no answer, or none we
    accept)."""

    def __init__(self, client: Any, model_id: str, count: Callable[[str], None]) -> None:
        self._client = client
        self._model_id = model_id
        self._count = count

    def request(self, text: str) -> dict[str, Any]:
        """The Converse request for one reply."""
        return {
            "modelId": self._model_id,
            "system": [{"text": SYSTEM_PROMPT}],
            "messages": [{"role": "user", "content": [{"text": prompt(text)}]}],
            "inferenceConfig": {"maxTokens": MAX_TOKENS, "temperature": 0.0},
        }

    def ask(self, text: str) -> Intent | None:
        self._count(ASKED)
        try:
            response = self._client.converse(**self.request(text))
        except (BotoCoreError, ClientError) as error:
            code = (
                error.response.get("Error", {}).get("Code")
                if isinstance(error, ClientError)
                else type(error).__name__
            )
            logger.warning("second opinion failed; the local reading stands", extra={"error": code})
            self._count(FAILED)
            return None
        intent = _answer(response)
        if intent is None:
            logger.warning(
                "second opinion unread; the local reading stands",
                extra={"stop_reason": response.get("stopReason")},
            )
            self._count(UNREAD)
        return intent


def _answer(response: dict[str, Any]) -> Intent | None:
    """The intent in a finished answer's text, strictly (domain/second_opinion.parse)."""
    if response.get("stopReason") not in FINISHED:
        return None
    message = (response.get("output") or {}).get("message") or {}
    texts = [block["text"] for block in message.get("content") or [] if "text" in block]
    if len(texts) != 1 or not isinstance(texts[0], str):
        return None
    return parse(texts[0])
