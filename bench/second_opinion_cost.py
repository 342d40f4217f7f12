"""What the optional second opinion (ReplySecondOpinionModel) costs per reply.

For the corpus's training and dev writers only (the test writers' files are never opened
here), every reply is read as the inbound function reads it (`replies.read`) and the ones the
second opinion would be asked about are counted (`second_opinion.doubt`). For those, the
Converse request's text (system prompt and user turn) is measured:

- input tokens, estimated two ways and the larger kept: characters / 4, and a count of word
  pieces (a word of up to 6 characters is one token, a longer one one per 4 characters, each
  punctuation mark or emoji one), plus CHAT_OVERHEAD tokens for the roles and turn markers a
  model's chat template adds. Bedrock's real tokenizers are not public; Converse answers
  `usage.inputTokens`, which a deployment's metrics can compare with this;
- output tokens: MAX_TOKENS, the most the request allows (an intent id is 1 to 4 tokens):
  an upper bound.

What a perfect second opinion could change is printed too: each asked reply's label given as
the opinion, through the merge (which only moves toward caution).

The training writers are the ones the local model learned from (it is surest on them); the dev
writers' share is the one to expect on text nobody here wrote.

Prices: Amazon Bedrock on-demand, us-east-1, per 1,000 tokens, from
https://aws.amazon.com/bedrock/pricing/ (as tabulated, "verified 2026-10-05 against
aws.amazon.com/bedrock/pricing", in AWS's own aws/agent-toolkit-for-aws
plugins/aws-startup-advisor/skills/llm-to-bedrock/scripts/bedrock_pricing.py).

Run: `python bench/second_opinion_cost.py` (a second; no AWS account, no network).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from reactivation.adapters.second_opinion import MAX_TOKENS
from reactivation.domain.conversation import Intent
from reactivation.domain.replies import read
from reactivation.domain.second_opinion import SYSTEM_PROMPT, Doubt, doubt, merge, prompt
from reactivation_tools.corpus import load

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "replies"
PARTS = ("train", "dev")  # never "test"

#: Tokens a chat template adds around a system prompt and one user turn (roles, markers).
CHAT_OVERHEAD = 12
#: (model id, dollars per 1,000 input tokens, per 1,000 output tokens), on demand, us-east-1.
PRICES = (
    ("amazon.nova-micro-v1:0", 0.000035, 0.00014),
    ("amazon.nova-lite-v1:0", 0.00006, 0.00024),
    # Claude Haiku 4.5 is invoked through a cross-region inference profile: the template's
    # grant (one foundation model in the stack's region) would need widening for it.
    ("anthropic.claude-haiku-4-5-20251001-v1:0", 0.001, 0.005),
)
_PIECES = re.compile(r"\w+|[^\w\s]")


def input_tokens(text: str) -> int:
    by_characters = math.ceil(len(text) / 4)
    by_pieces = sum(1 if len(p) <= 6 else math.ceil(len(p) / 4) for p in _PIECES.findall(text))
    return max(by_characters, by_pieces) + CHAT_OVERHEAD


def main() -> None:
    for part in PARTS:
        replies = load(CORPUS, part)
        asked: list[int] = []
        reasons: dict[Doubt, int] = dict.fromkeys(Doubt, 0)
        wrong = fixed = to_person = 0
        for reply in replies:
            local = read(reply.text, opted_out=reply.opted_out)
            reason = doubt(local.classification, local.chances)
            if reason is not None:
                reasons[reason] += 1
                asked.append(input_tokens(SYSTEM_PROMPT + prompt(reply.text)))
                label = Intent(reply.intent)
                merged = merge(local.classification, label)
                wrong += local.classification.intent is not label
                fixed += local.classification.intent is not label and merged.intent is label
                to_person += merged.notify_staff and not local.classification.notify_staff
        share = len(asked) / len(replies)
        mean_in = sum(asked) / len(asked) if asked else 0.0
        print(f"{part} writers: {len(replies)} replies, {len(asked)} asked ({share:.1%})")
        print("  why: " + ", ".join(f"{r.value} {n}" for r, n in reasons.items()))
        print(
            f"  the local reading was wrong for {wrong} of them; a perfect second opinion "
            f"makes {fixed} right and sends {to_person} more to a person"
        )
        print(f"  input tokens per request: mean {mean_in:.0f}, max {max(asked, default=0)}")
        print(f"  output tokens per request: at most {MAX_TOKENS}")
        for model, per_in, per_out in PRICES:
            per_request = mean_in / 1000 * per_in + MAX_TOKENS / 1000 * per_out
            per_reply = per_request * share
            print(
                f"  {model}: ${per_request:.7f} per request, ${per_reply:.8f} per reply, "
                f"${per_reply * 10_000:.4f} per 10,000 replies"
            )


if __name__ == "__main__":
    main()
