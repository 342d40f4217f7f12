"""Rendering the approved message library: a sandboxed Jinja2, strict about its variables."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import TYPE_CHECKING, Any

from reactivation.domain.types import Campaign, Language

if TYPE_CHECKING:
    from jinja2 import Template, nodes
    from jinja2.sandbox import SandboxedEnvironment

#: The only variables a message may use.
ALLOWED_VARIABLES = frozenset(
    {"first_name", "practice_name", "practice_phone", "booking_link", "offered_times", "choices",
     "check_back"}
)  # fmt: skip


#: The words of the unsubscribe link at the foot of every outreach email.
UNSUBSCRIBE_FOOTER = {
    "en": "Unsubscribe from these emails",
    "es": "Darse de baja de estos correos",
}


class MessageNotFound(LookupError):
    """The library has no approved text for this campaign, step and language."""


@cache
def _not_plain() -> tuple[tuple[type[nodes.Node], str], ...]:
    """What a practice's own text may not hold, by the parsed node's kind (anything else too).
    (Jinja2's nodes: imported when a text is first checked, not at a function's cold start.)"""
    from jinja2 import nodes

    return (
        (nodes.Filter, "a filter (|)"),
        (nodes.Test, "a test (is)"),
        (nodes.Call, "a call"),
        (nodes.Getattr, "an attribute"),
        (nodes.Getitem, "an attribute"),
        (nodes.Const, "a literal value"),
        (nodes.CondExpr, "an inline if"),
        (nodes.Expr, "an operator"),
    )


def plain_text_problem(source: str) -> str | None:
    """Why a practice's own text is refused (None: it may be used). It may hold literal words
    and `{{ variable }}` of the allowed variables, nothing else: no tag (`{% if %}` could hide
    words from the checks, which render it once), no filter, operator, call, attribute or
    literal (`{{ first_name * 50000000 }}` would take the send function's time and memory).
    The parsed template is walked: checked when the text is saved, and again before use."""
    from jinja2 import TemplateSyntaxError, nodes

    try:
        parsed = template_environment().parse(source)
    except TemplateSyntaxError as error:
        return f"is not a valid template: {error.message} (line {error.lineno})"
    for statement in parsed.body:
        if not isinstance(statement, nodes.Output):
            tag = type(statement).__name__.lower().replace("assign", "set")
            return f"uses a tag ({{% {tag} %}}): {_PLAIN}"
        for node in statement.nodes:
            if isinstance(node, nodes.TemplateData):
                continue
            if isinstance(node, nodes.Name):
                if node.name in ALLOWED_VARIABLES:
                    continue
                return (f"uses {node.name}: a message may only use "
                        f"{', '.join(sorted(ALLOWED_VARIABLES))}")  # fmt: skip
            kind = next(
                (what for cls, what in _not_plain() if isinstance(node, cls)), "an expression"
            )
            return f"uses {kind}: {_PLAIN}"
    return None


_PLAIN = "a practice's own text may hold words and {{ variable }} only"


@dataclass(frozen=True)
class MessageValues:
    first_name: str
    practice_name: str
    practice_phone: str
    booking_link: str | None = None
    #: The open times offered to a patient who asked to book ("Tue Dec 1 9:00am, ...").
    offered_times: str | None = None
    #: The replies that pick one of them, as many as were offered ("1, 2 or 3", "1 or 2").
    choices: str | None = None
    #: When the practice will check back with a patient who said "not now" ("March 1").
    check_back: str | None = None

    def as_context(self) -> dict[str, Any]:
        return {
            "first_name": self.first_name,
            "practice_name": self.practice_name,
            "practice_phone": self.practice_phone,
            "booking_link": self.booking_link or "",
            "offered_times": self.offered_times or "",
            "choices": self.choices or "",
            "check_back": self.check_back or "",
        }


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def format_phone(e164: str) -> str:
    """A number as people write it: (415) 555-0100 for North America, E.164 elsewhere."""
    if e164.startswith("+1") and len(e164) == 12:
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    return e164


def template_environment() -> SandboxedEnvironment:
    """The environment plain-text messages render in: sandboxed, strict about variables."""
    environment = _environment()
    environment.autoescape = False
    return environment


def _environment() -> SandboxedEnvironment:
    # Jinja2 is imported when a message is first rendered, not at a function's cold start.
    from jinja2 import StrictUndefined, select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


class MessageLibrary:
    """Approved texts by campaign, step and language, plus the system messages."""

    def __init__(self, entries: dict[str, Any], refused: frozenset[str] = frozenset()) -> None:
        self._entries = entries
        #: A practice's own texts left out, unused, because they are not plain (see
        #: `with_overrides`): their approved texts are used.
        self.refused_overrides = refused
        self._overridden: dict[frozenset[tuple[str, str]], MessageLibrary] = {}

    @cached_property
    def _text(self) -> SandboxedEnvironment:
        """Compiled when a message is first rendered."""
        return template_environment()

    @cached_property
    def _layout(self) -> Template:
        """The outreach email's HTML layout, compiled when an email is first rendered."""
        source = resources.files("reactivation").joinpath("templates/email.html.j2")
        return _environment().from_string(source.read_text("utf-8"))

    @classmethod
    def from_toml(cls, text: str) -> MessageLibrary:
        return cls(tomllib.loads(text))

    @classmethod
    def default(cls) -> MessageLibrary:
        source = resources.files("reactivation").joinpath("messages/library.toml")
        return cls.from_toml(source.read_text("utf-8"))

    def campaigns(self) -> frozenset[Campaign]:
        """The campaigns with approved texts for every one of their steps, in English."""
        from reactivation.domain.sequences import STEPS

        return frozenset(
            campaign
            for campaign in Campaign
            if all(
                "sms" in self._entries.get(campaign.value, {}).get(str(step), {}).get("en", {})
                for step in range(1, STEPS[campaign] + 1)
            )
        )

    def _entry(self, campaign: Campaign, step: int, language: Language) -> dict[str, str]:
        try:
            entry: dict[str, str] = self._entries[campaign.value][str(step)][language.value]
        except KeyError:
            try:
                entry = self._entries[campaign.value][str(step)][Language.EN.value]
            except KeyError as error:
                raise MessageNotFound(f"{campaign.value} step {step}") from error
        return entry

    def _render(self, source: str, values: MessageValues) -> str:
        return self._text.from_string(source).render(values.as_context()).strip()

    def sms(self, campaign: Campaign, step: int, language: Language, values: MessageValues) -> str:
        return self._render(self._entry(campaign, step, language)["sms"], values)

    def email(
        self,
        campaign: Campaign,
        step: int,
        language: Language,
        values: MessageValues,
        unsubscribe_url: str | None = None,
    ) -> EmailContent:
        entry = self._entry(campaign, step, language)
        subject = self._render(entry["subject"], values)
        text = self._render(entry["text"], values)
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        footer = UNSUBSCRIBE_FOOTER[language.value if language.value in UNSUBSCRIBE_FOOTER
                                    else Language.EN.value]  # fmt: skip
        html = self._layout.render(
            subject=subject,
            paragraphs=paragraphs,
            language=language.value,
            unsubscribe_url=unsubscribe_url,
            unsubscribe_words=footer,
        )
        if unsubscribe_url:
            text += f"\n\n{footer}: {unsubscribe_url}"
        return EmailContent(subject=subject, text=text, html=html)

    def system_sms(self, kind: str, language: Language, values: MessageValues) -> str:
        texts = self._entries["system"][kind]
        return self._render(texts.get(language.value, texts[Language.EN.value]), values)

    def keys(self) -> frozenset[str]:
        return frozenset(key for key, _ in self.templates())

    def with_overrides(self, overrides: Mapping[str, str]) -> MessageLibrary:
        """This library with a practice's own texts in place of the approved ones (keys as
        `templates` names them; checked when the practice saved them). A text that is not
        plain (`plain_text_problem`: saved before that check, or written around it) is
        refused here too: its approved text is used, and the key is in `refused_overrides`."""
        if not overrides:
            return self
        wanted = frozenset(overrides.items())
        if wanted not in self._overridden:
            entries = copy.deepcopy(self._entries)
            refused = frozenset(k for k, text in overrides.items() if plain_text_problem(text))
            for key, text in overrides.items():
                if key in refused:
                    continue
                *path, last = key.split(".")
                node = entries
                for part in path:
                    node = node.setdefault(part, {})
                node[last] = text
            self._overridden[wanted] = MessageLibrary(entries, refused)
        return self._overridden[wanted]

    def templates(self) -> list[tuple[str, str]]:
        """Every (name, source) in the library, for the checks that run before use."""
        found: list[tuple[str, str]] = []

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, str):
                found.append((prefix, node))
            elif isinstance(node, dict):
                for key, child in node.items():
                    walk(f"{prefix}.{key}" if prefix else key, child)

        walk("", self._entries)
        return found
