"""The templates, for operators: listed, and previewed on any channel with sample or given values."""

from dataclasses import dataclass

from services.notifications.domain import (
    BY_ID,
    INBOX,
    SAMPLE,
    Channel,
    Lang,
    NotFound,
    Personalisation,
    Template,
    render_email,
    render_inbox,
    render_sms,
)
from services.notifications.handlers.deps import Deps


@dataclass(frozen=True)
class PreviewTemplate:
    template_id: str
    lang: Lang
    channel: Channel
    values: Personalisation | None = None


@dataclass(frozen=True)
class Preview:
    template: Template
    lang: Lang
    channel: Channel
    subject: str | None
    text: str
    html: str | None


def list_templates() -> list[Template]:
    return sorted(BY_ID.values(), key=lambda t: t.id)


def preview_template(command: PreviewTemplate, deps: Deps) -> Preview:
    template = BY_ID.get(command.template_id)
    if template is None:
        raise NotFound("template-not-found", "No such template.")
    values, lang = command.values or SAMPLE, command.lang
    if command.channel == "email":
        email = render_email(template, values, lang, deps.public_url)
        return Preview(template, lang, "email", email.subject, email.text, email.html)
    if command.channel == "sms":
        return Preview(template, lang, "sms", None, render_sms(template, values, lang, deps.public_url), None)
    inbox = render_inbox(template, values, lang)
    return Preview(template, lang, INBOX, inbox.title, inbox.body, None)
