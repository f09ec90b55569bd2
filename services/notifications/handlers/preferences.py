"""How a citizen wants to be reached: saved and read back."""

from dataclasses import dataclass

from services.notifications.domain import Preferences, default_preferences
from services.notifications.handlers.deps import Deps
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class SetPreferences:
    citizen: str
    preferences: Preferences


async def set_preferences(command: SetPreferences, deps: Deps) -> Preferences:
    async with deps.uow() as uow:
        await uow.preferences.put(command.citizen, command.preferences, deps.clock())
        await uow.commit()
    chosen = command.preferences
    # Which details are on file, never the details themselves.
    on_file = [name for name, value in (("email", chosen.email), ("phone", chosen.phone)) if value is not None]
    log.info("preferences_saved", lang=chosen.lang, channels=chosen.channels, contact_details=on_file,
             quiet_hours=chosen.quiet_hours is not None)
    return chosen


async def find_preferences(citizen: str, fallback_lang: str, deps: Deps) -> Preferences:
    async with deps.uow(read_only=True) as uow:
        stored = await uow.preferences.get(citizen)
    return stored or default_preferences(fallback_lang)
