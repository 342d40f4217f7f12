"""One sending number, one practice (issue #16, item 1): the number's own item, claimed in the
practice's transaction; a changed number gives its old one back."""

import pytest

from reactivation.adapters.items import Keys, to_attributes
from reactivation.adapters.practices import NumberTaken, PracticeRepository
from tests.builders import make_practice
from tests.conftest import Aws

NUMBER = "+12125550199"


def _practices(aws: Aws) -> PracticeRepository:
    return PracticeRepository(aws.client("dynamodb"), aws.table)


def test_a_second_practice_cannot_take_a_number_another_practice_sends_from(aws: Aws) -> None:
    practices = _practices(aws)
    practices.save(make_practice())
    with pytest.raises(NumberTaken) as refused:
        practices.save(make_practice(practice_id="impostor", sending_number=NUMBER))
    assert refused.value.owner == "bright-smile"
    assert practices.get("impostor") is None  # nothing of it was written
    assert sorted(practices.all_ids()) == ["bright-smile"]
    assert practices.owner_of_number(NUMBER) == "bright-smile"  # STOPs still reach the owner


def test_saving_a_practice_again_keeps_its_number(aws: Aws) -> None:
    practices = _practices(aws)
    practices.save(make_practice())
    practices.save(make_practice(name="Bright Smile Dental Care"))
    assert practices.owner_of_number(NUMBER) == "bright-smile"
    practice = practices.get("bright-smile")
    assert practice is not None and practice.name == "Bright Smile Dental Care"


def test_a_changed_number_gives_the_old_one_back(aws: Aws) -> None:
    practices = _practices(aws)
    practices.save(make_practice())
    practices.save(make_practice(sending_number="+12125550177"))
    assert practices.owner_of_number("+12125550177") == "bright-smile"
    assert practices.owner_of_number(NUMBER) is None
    # the number is free again: another practice may send from it now
    practices.save(make_practice(practice_id="next-door", sending_number=NUMBER))
    assert practices.owner_of_number(NUMBER) == "next-door"
    assert practices.owner_of_number("+12125550177") == "bright-smile"


def test_a_refused_number_change_leaves_the_practice_as_it_was(aws: Aws) -> None:
    practices = _practices(aws)
    practices.save(make_practice())
    practices.save(make_practice(practice_id="next-door", sending_number="+12125550177"))
    with pytest.raises(NumberTaken):
        practices.save(make_practice(practice_id="next-door", sending_number=NUMBER))
    stored = practices.get("next-door")
    assert stored is not None and stored.sending_number == "+12125550177"
    assert practices.owner_of_number("+12125550177") == "next-door"
    assert practices.owner_of_number(NUMBER) == "bright-smile"


def _legacy_mapping(aws: Aws, practice_id: str, number: str) -> None:
    """The earlier layout: an item in the practice's partition, found through the index."""
    aws.client("dynamodb").put_item(
        TableName=aws.table,
        Item=to_attributes(
            {
                "pk": Keys.practice(practice_id),
                "sk": f"NUMBER#{number}",
                "gsi1pk": Keys.sending_number(number),
                "gsi1sk": Keys.practice(practice_id),
                "kind": "sending_number",
                "practice_id": practice_id,
            }
        ),
    )


def test_an_earlier_mapping_counts_only_when_one_practice_claims_the_number(aws: Aws) -> None:
    practices = _practices(aws)
    _legacy_mapping(aws, "bright-smile", NUMBER)
    assert practices.owner_of_number(NUMBER) == "bright-smile"
    _legacy_mapping(aws, "impostor", NUMBER)
    assert practices.owner_of_number(NUMBER) is None  # two claims: no practice gets its replies
    practices.save(make_practice())  # saving the practice again migrates it to the number's item
    assert practices.owner_of_number(NUMBER) == "bright-smile"
    with pytest.raises(NumberTaken):
        practices.save(make_practice(practice_id="impostor", sending_number=NUMBER))
