"""Issue #16 item 4: a practice's own text is words and {{ variable }}, nothing else. The
checks render a text once, with one long first name: a tag could show them a safe text and
every other patient a diagnosis without STOP; an operator could make the send function build
a text of hundreds of MB. Such a text is refused when it is saved, and again before use."""

from __future__ import annotations

import pytest

from reactivation.domain.messages import MessageLibrary, MessageValues, plain_text_problem
from reactivation.domain.practice import MessageOverride
from reactivation.domain.template_checks import LONGEST_VALUES, check_practice
from reactivation.domain.types import Campaign, Language
from tests.builders import make_practice

LIBRARY = MessageLibrary.default()
KEY = "recall_due.1.en.sms"
SAFE = "Hi {{ first_name }}, it's {{ practice_name }}. Time for a visit. Reply STOP to opt out."
#: Shows the checks (rendered with LONGEST_VALUES' first name) a safe text, everyone else not.
HIDING = (
    "{% if first_name == '" + LONGEST_VALUES.first_name + "' %}" + SAFE
    + "{% else %}Hi {{ first_name }}, your biopsy results are in.{% endif %}"
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (HIDING, "uses a tag ({% if %})"),
        ("{% for x in 'ab' %}" + SAFE + "{% endfor %}", "uses a tag ({% for %})"),
        ("{% set n = 1 %}" + SAFE, "uses a tag ({% set %})"),
        (SAFE + " {{ first_name * 2 }}", "uses an operator"),
        (SAFE + " {{ first_name ~ practice_name }}", "uses an operator"),
        (SAFE + " {{ first_name|upper }}", "uses a filter (|)"),
        (SAFE + " {{ practice_name.upper() }}", "uses a call"),
        (SAFE + " {{ practice_name.title }}", "uses an attribute"),
        (SAFE + " {{ practice_name[0] }}", "uses an attribute"),
        (SAFE + " {{ 'Bye' }}", "uses a literal value"),
        (SAFE + " {{ first_name if practice_name }}", "uses an inline if"),
        (SAFE + " {{ last_name }}", "uses last_name: a message may only use"),
    ],
)  # fmt: skip
def test_anything_but_words_and_variables_is_refused_when_saved(text: str, reason: str) -> None:
    practice = make_practice().model_copy(
        update={"message_overrides": {KEY: MessageOverride(text=text)}}
    )
    problems = check_practice(practice, LIBRARY.keys())
    assert [(p.where, p.reason[: len(reason)]) for p in problems] == [(KEY, reason)]


def test_an_operator_that_would_build_hundreds_of_mb_is_refused_without_rendering() -> None:
    """Refused from the parsed template: the check itself never builds the text."""
    assert plain_text_problem(SAFE + " {{ first_name * 50000000 }}") == (
        "uses an operator: a practice's own text may hold words and {{ variable }} only"
    )


def test_words_variables_comments_and_raw_text_are_plain() -> None:
    assert plain_text_problem(SAFE) is None
    assert plain_text_problem("Hi {{- first_name -}}!{# a note #} Reply STOP.") is None
    assert plain_text_problem("{% raw %}{{ x }}{% endraw %}") is None
    assert plain_text_problem("no variables at all") is None


def test_a_text_that_is_not_plain_is_refused_again_before_use() -> None:
    """One saved before the check (or written around it) is never rendered: the approved text
    is sent instead, and the library says which it refused."""
    library = LIBRARY.with_overrides({KEY: HIDING, "recall_due.2.en.sms": SAFE})
    values = MessageValues("Ana", "Bright Smile", "(212) 555-0100")
    approved = LIBRARY.sms(Campaign.RECALL_DUE, 1, Language.EN, values)
    assert library.sms(Campaign.RECALL_DUE, 1, Language.EN, values) == approved
    assert "biopsy" not in approved
    assert library.refused_overrides == frozenset({KEY})
    assert library.sms(Campaign.RECALL_DUE, 2, Language.EN, values) == (
        "Hi Ana, it's Bright Smile. Time for a visit. Reply STOP to opt out."
    )
    assert LIBRARY.with_overrides({KEY: SAFE}).refused_overrides == frozenset()
