import pytest

from reactivation.domain.sms import encode, is_gsm7


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters count twice
        ("€" * 81, "GSM-7", 2),
        ("á" * 70, "UCS-2", 1),
        ("á" * 71, "UCS-2", 2),
        ("😀" * 35, "UCS-2", 1),  # a surrogate pair is two code units
        ("", "GSM-7", 1),
    ],
)
def test_segments(text: str, encoding: str, segments: int) -> None:
    result = encode(text)
    assert (result.encoding, result.segments) == (encoding, segments)


def test_spanish_letters_in_gsm7() -> None:
    assert is_gsm7("¿Prefiere? ¡Claro! ñ é Ñ ü")
    assert not is_gsm7("¡Sí!")  # í is not in GSM-7
    assert not is_gsm7("más")
