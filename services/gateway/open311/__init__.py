"""Open311 GeoReport v2, a facade over the catalogue and the citizen's requests."""

from services.gateway.open311.routes import open311_errors, router

__all__ = ["open311_errors", "router"]
