"""The checks every message template passes before it is used: the shipped library (by the
lint command and the tests) and a practice's override (refused when it is saved).

A template is refused, with the reason, when it
- is not a valid template, or does something the sandbox forbids;
- is a practice's own text and holds anything but words and `{{ variable }}` (a tag, filter,
  operator, call, attribute or literal: `messages.plain_text_problem`);
- uses a variable outside the allow-list;
- names a diagnosis, procedure, drug or product (the deny-list below, which covers the service
  categories of spec/data-format.md, in English and Spanish);
- is an SMS longer than 160 characters once rendered with the longest realistic values;
- is the first SMS of a sequence and lacks the opt-out line (STOP);
- is an SMS with a character outside GSM-7 that the practice did not say it intended (one
  such character makes the whole text UCS-2: 70 characters a segment instead of 160).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jinja2 import TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError, UndefinedError

from reactivation.domain import sms
from reactivation.domain.messages import (
    ALLOWED_VARIABLES,
    MessageValues,
    format_phone,
    plain_text_problem,
    template_environment,
)
from reactivation.domain.practice import MessageOverride, Practice

#: Words that name a diagnosis, a procedure, a drug or a product (whole words, any case,
#: accents ignored). Each service category of the import format is here in its own words.
DENIED_TERMS: tuple[str, ...] = (
    # diagnoses and conditions
    "diagnosis", "diagnosed", "cancer", "melanoma", "carcinoma", "basal cell", "squamous",
    "lesion", "mole", "moles", "acne", "eczema", "psoriasis", "rosacea", "dermatitis",
    "cavity", "cavities", "decay", "gum disease", "gingivitis", "periodontitis", "periodontal",
    "infection", "abscess", "diabetes", "pregnan", "hiv",
    # procedures (the service categories among them)
    "cleaning", "prophylaxis", "scaling", "root canal", "extraction", "crown", "crowns",
    "filling", "fillings", "implant", "implants", "veneer", "veneers", "whitening", "bridge",
    "denture", "dentures", "orthodontic", "braces", "invisalign", "biopsy", "excision",
    "mohs", "cryotherapy", "neurotoxin", "filler", "fillers", "laser", "lasers",
    "body contouring", "coolsculpting", "liposuction", "facial", "facials", "peel", "peels",
    "microneedling", "hair removal", "tattoo removal", "ipl", "skin cancer screening",
    "restorative",
    # drugs and products
    "botox", "dysport", "xeomin", "jeuveau", "juvederm", "restylane", "sculptra", "kybella",
    "radiesse", "hyaluronic", "accutane", "isotretinoin", "tretinoin", "retinol", "retin-a",
    "antibiotic", "antibiotics", "steroid", "methotrexate", "humira", "dupixent",
    # Spanish
    "diagnostico", "cancer de piel", "lunar", "lunares", "acne", "eccema", "caries",
    "limpieza", "endodoncia", "extraccion", "corona", "coronas", "empaste", "implante",
    "implantes", "carillas", "blanqueamiento", "biopsia", "relleno", "rellenos", "depilacion",
    "embarazo",
)  # fmt: skip

_DENIED = re.compile(
    r"\b(?:" + "|".join(re.escape(term) for term in DENIED_TERMS) + r")\b", re.IGNORECASE
)

#: The longest values a message is realistically rendered with (a long first name, a long
#: practice name, a long booking link): the SMS bound must hold for them.
LONGEST_VALUES = MessageValues(
    first_name="Maximilianus",
    practice_name="Bright Smile Family Dental",
    practice_phone="(212) 555-0100",
    booking_link="https://book.example.com/bright-smile-dental",
    offered_times="1) Wed Sep 29 12:30pm 2) Thu Sep 30 12:30pm 3) Fri Oct 22 12:30pm",
    choices="1, 2 or 3",
    check_back="28 de septiembre",
)

#: The opt-out line a first SMS must carry (campaigns.md; the same keyword in Spanish).
_OPT_OUT = re.compile(r"\bSTOP\b")


@dataclass(frozen=True)
class TemplateProblem:
    """One reason a template is refused: where it is, and why, in plain words."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def _plain(text: str) -> str:
    """Accents removed, so that 'diagnóstico' and 'diagnostico' are the same word."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def denied_terms(text: str) -> list[str]:
    """The deny-listed words `text` holds (accents and case ignored)."""
    return sorted({match.group(0).lower() for match in _DENIED.finditer(_plain(text))})


def check_template(
    where: str,
    source: str,
    *,
    is_sms: bool,
    first_message: bool = False,
    allow_unicode: bool = False,
    values: MessageValues = LONGEST_VALUES,
) -> list[TemplateProblem]:
    """Every reason to refuse this template (none: it may be used)."""
    environment = template_environment()
    try:
        parsed = environment.parse(source)
    except TemplateSyntaxError as error:
        return [TemplateProblem(where, f"is not a valid template: {error.message} "
                                       f"(line {error.lineno})")]  # fmt: skip
    problems: list[TemplateProblem] = []
    unknown = sorted(meta.find_undeclared_variables(parsed) - ALLOWED_VARIABLES)
    if unknown:
        problems.append(
            TemplateProblem(
                where,
                f"uses {', '.join(unknown)}: a message may only use "
                f"{', '.join(sorted(ALLOWED_VARIABLES))}",
            )
        )
        return problems
    try:
        rendered = environment.from_string(source).render(values.as_context()).strip()
    except SecurityError as error:
        return [TemplateProblem(where, f"does something a message may not: {error}")]
    except (UndefinedError, TypeError, ValueError) as error:
        return [TemplateProblem(where, f"does not render: {error}")]
    terms = denied_terms(source) or denied_terms(rendered)
    if terms:
        problems.append(
            TemplateProblem(
                where,
                f"names a diagnosis, procedure, drug or product ({', '.join(terms)}): "
                "say why the visit matters in everyday words instead",
            )
        )
    if not is_sms:
        return problems
    if first_message and not _OPT_OUT.search(rendered):
        problems.append(
            TemplateProblem(
                where, "is the first message of a sequence and lacks the opt-out line "
                "(e.g. 'Reply STOP to opt out.')"
            )
        )  # fmt: skip
    if len(rendered) > sms.MAX_SMS_CHARACTERS:
        problems.append(
            TemplateProblem(
                where,
                f"is {len(rendered)} characters with the longest realistic values "
                f"(first name {values.first_name!r}, practice {values.practice_name!r}); "
                f"an SMS may have at most {sms.MAX_SMS_CHARACTERS}",
            )
        )
    breaking = [ch for ch in dict.fromkeys(rendered) if not sms.is_gsm7(ch)]
    if breaking and not allow_unicode:
        shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in breaking)
        problems.append(
            TemplateProblem(
                where,
                f"has characters outside GSM-7: {shown}; the whole text would be sent as "
                "UCS-2, 70 characters a segment. Use plain quotes and letters, or mark the "
                "override as intended (allow_unicode)",
            )
        )
    return problems


def check_all(
    templates: Iterable[tuple[str, str]],
    *,
    allow_unicode: frozenset[str] = frozenset(),
    values: MessageValues = LONGEST_VALUES,
) -> list[TemplateProblem]:
    """Checks (where, source) pairs named as the library names them: `<campaign>.<step>.<lang>
    .<part>` (part: sms, subject, text) or `system.<kind>.<lang>` (an SMS)."""
    problems: list[TemplateProblem] = []
    for where, source in templates:
        parts = where.split(".")
        is_sms = parts[0] == "system" or parts[-1] == "sms"
        first = parts[0] != "system" and len(parts) == 4 and parts[1] == "1" and is_sms
        problems += check_template(
            where,
            source,
            is_sms=is_sms,
            first_message=first,
            allow_unicode=where in allow_unicode,
            values=values,
        )
    return problems


def check_overrides(
    overrides: Mapping[str, MessageOverride], library_keys: frozenset[str], values: MessageValues
) -> list[TemplateProblem]:
    """A practice's own texts: each must replace a message of the library, hold only words
    and `{{ variable }}` (never rendered otherwise) and pass every check, rendered with the
    practice's own name, phone and link and a long first name."""
    problems: list[TemplateProblem] = []
    for key in sorted(set(overrides) - library_keys):
        problems.append(
            TemplateProblem(key, "is not a message of the library (e.g. recall_due.1.en.sms)")
        )
    known = []
    for key, override in sorted(overrides.items()):
        if key not in library_keys:
            continue
        not_plain = plain_text_problem(override.text)
        if not_plain is None:
            known.append((key, override.text))
        else:
            problems.append(TemplateProblem(key, not_plain))
    unicode_ok = frozenset(key for key, o in overrides.items() if o.allow_unicode)
    return problems + check_all(known, allow_unicode=unicode_ok, values=values)


def check_practice(practice: Practice, library_keys: frozenset[str]) -> list[TemplateProblem]:
    """A practice's own texts, rendered with its own name, phone and link (and a long first
    name and long offered times)."""
    values = MessageValues(
        first_name=LONGEST_VALUES.first_name,
        practice_name=practice.name,
        practice_phone=format_phone(practice.phone),
        booking_link=practice.booking_link,
        offered_times=LONGEST_VALUES.offered_times,
        choices=LONGEST_VALUES.choices,
        check_back=LONGEST_VALUES.check_back,
    )
    return check_overrides(practice.message_overrides, library_keys, values)
