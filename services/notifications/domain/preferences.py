"""How a citizen wants to be reached: channels in order, language, contact details, quiet hours for SMS.

Contact details are personal data: they are validated here, and no message about them ever repeats them.
"""

from datetime import datetime, time, timedelta
from typing import Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from services.notifications.domain.templates import Lang
from shared.clock import MUSCAT
from shared.contracts.contact import EmailAddress, MobileNumber

Channel = Literal["inbox", "email", "sms"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
INBOX: Channel = "inbox"
DEFAULT_LANG: Lang = "ar"

class QuietHours(BaseModel):
    """No SMS between start and end, Muscat time; an SMS due then waits until they end. Start after end
    spans midnight (22:00 to 07:00)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local Muscat times, without a zone")
        return self

    @field_serializer("start", "end")
    def _hh_mm(self, value: time) -> str:
        return value.strftime("%H:%M")

    def ends_after(self, now: datetime) -> datetime | None:
        """When the quiet hours around `now` end (aware, UTC-comparable), or None if `now` is not in them."""
        local = now.astimezone(MUSCAT)
        at = local.time().replace(tzinfo=None)
        if self.start < self.end:
            quiet, day = self.start <= at < self.end, local.date()
        else:
            quiet = at >= self.start or at < self.end
            day = local.date() + timedelta(days=1) if at >= self.start else local.date()
        if not quiet:
            return None
        return datetime.combine(day, self.end, tzinfo=MUSCAT)


class Preferences(BaseModel):
    """The inbox is the record of everything, so it is always on; the other channels are tried in the
    citizen's order, the next only when one fails for good."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lang: Lang
    channels: list[Channel] = Field(min_length=1, max_length=len(CHANNELS))
    email: EmailAddress | None = None
    phone: MobileNumber | None = None
    quiet_hours: QuietHours | None = None

    @field_validator("channels", mode="before")
    @classmethod
    def _unique(cls, value: object) -> object:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return list(dict.fromkeys(value))
        return value

    @field_validator("channels")
    @classmethod
    def _inbox_stays_on(cls, value: list[Channel]) -> list[Channel]:
        if INBOX not in value:
            raise ValueError("the inbox is always on and cannot be removed")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if "email" in self.channels and self.email is None:
            raise ValueError("email is chosen as a channel: give an email address")
        if "sms" in self.channels and self.phone is None:
            raise ValueError("sms is chosen as a channel: give a mobile number")
        return self

    def address_for(self, channel: Channel) -> str | None:
        return self.email if channel == "email" else self.phone if channel == "sms" else None

    def outside_inbox(self) -> list[Channel]:
        return [c for c in self.channels if c != INBOX]


def default_preferences(lang: str) -> Preferences:
    chosen: Lang = "en" if lang == "en" else DEFAULT_LANG
    return Preferences(lang=chosen, channels=[INBOX])


def choose_language(preferred: Lang | None, request_lang: Lang) -> Lang:
    """The citizen's stated preference wins over the language the request was made in."""
    return preferred or request_lang
