"""Refusals in the operator's words: the field, its value (never contact data), the fix."""

from typing import Any

import pytest
from pydantic import ValidationError

from reactivation.domain.practice import Practice
from reactivation.domain.refusals import in_plain_words
from tests.builders import make_practice

LIBRARY_PHRASES = ("should match pattern", "Value error", "Input should", "String should")


def refusals(**changes: Any) -> list[str]:
    data = make_practice().model_dump(mode="json") | changes
    with pytest.raises(ValidationError) as raised:
        Practice.model_validate(data)
    return [in_plain_words(error) for error in raised.value.errors()]


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"booking_link": "http://x.example"}, "booking_link 'http://x.example' is not a web "
         "address starting with https://"),
        ({"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus' is not a timezone name: write "
         "one like America/New_York"),
        ({"holdout_percent": 80}, "holdout_percent 80 must be at most 50"),
        ({"practice_id": "Bright Smile"}, "practice_id 'Bright Smile' must be lowercase letters"),
        ({"deactivation_review_percent": 0}, "deactivation_review_percent 0 must be at least 1"),
        ({"owner_emails": ["nobody"]}, "owner_emails.0 is not an email address"),
    ],
)  # fmt: skip
def test_each_refusal_names_the_field_the_value_and_the_fix(
    changes: dict[str, Any], said: str
) -> None:
    sentence = refusals(**changes)[0]
    assert sentence.startswith(said)
    assert not any(phrase in sentence for phrase in LIBRARY_PHRASES)


def test_contact_data_is_never_repeated() -> None:
    for sentence in refusals(owner_emails=["ana.lopez@@example"]):
        assert "ana.lopez" not in sentence
