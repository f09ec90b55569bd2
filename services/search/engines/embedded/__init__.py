from services.search.engines.embedded.engine import EmbeddedEngine

__all__ = ["EmbeddedEngine"]
