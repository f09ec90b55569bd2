from shared.contracts.base import Bilingual, IntegrationEvent

__all__ = ["Bilingual", "IntegrationEvent"]
