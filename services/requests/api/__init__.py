"""The requests service's HTTP API, one router per concept."""

from fastapi import APIRouter

from services.requests.api import calendar, dead_letters, insights, ministry, performance, proactive, requests
from services.requests.api.common import problem

# Included on the app one by one, not under one router: FastAPI matches a request again at each level of nesting.
routers: tuple[APIRouter, ...] = tuple(part.router for part in (requests, proactive, ministry, performance,
                                                                  dead_letters, calendar, insights))

__all__ = ["problem", "routers"]
