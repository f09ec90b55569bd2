"""The requests service's HTTP API, one router per concept."""

from fastapi import APIRouter

from services.requests.api import calendar, dead_letters, insights, ministry, performance, proactive, requests
from services.requests.api.common import problem

router = APIRouter()
for part in (requests, proactive, ministry, performance, dead_letters, calendar, insights):
    router.include_router(part.router)

__all__ = ["problem", "router"]
