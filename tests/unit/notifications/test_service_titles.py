"""Service titles come from the catalogue, cached; when it does not answer, messages use the slug."""

import httpx

from services.notifications.clients import HttpServiceTitles
from shared.contracts.base import Bilingual


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def create_titles(answer: httpx.MockTransport, clock: Clock) -> HttpServiceTitles:
    return HttpServiceTitles(httpx.AsyncClient(transport=answer, base_url="http://catalog"), ttl_seconds=600,
                             failure_ttl_seconds=30, clock=clock)


async def test_a_title_is_asked_for_once_and_then_remembered() -> None:
    asked: list[str] = []

    def catalogue(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(200, json={"slug": "passport-renewal",
                                         "title": {"ar": "تجديد جواز السفر", "en": "Passport renewal"}})

    clock = Clock()
    titles = create_titles(httpx.MockTransport(catalogue), clock)

    first = await titles.title("passport-renewal")
    again = await titles.title("passport-renewal")
    clock.now = 601
    later = await titles.title("passport-renewal")

    assert first == again == later == Bilingual(ar="تجديد جواز السفر", en="Passport renewal")
    assert asked == ["/api/v1/services/passport-renewal"] * 2


async def test_an_unreachable_catalogue_gives_no_title_and_is_not_asked_again_for_a_while() -> None:
    asked: list[str] = []

    def down(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        raise httpx.ConnectError("refused", request=request)

    clock = Clock()
    titles = create_titles(httpx.MockTransport(down), clock)

    assert await titles.title("visa") is None
    assert await titles.title("visa") is None
    clock.now = 31
    assert await titles.title("visa") is None
    assert len(asked) == 2


async def test_an_unknown_service_or_an_odd_answer_gives_no_title() -> None:
    answers = {"/api/v1/services/gone": httpx.Response(404), "/api/v1/services/odd": httpx.Response(200, json=[1])}
    titles = create_titles(httpx.MockTransport(lambda request: answers[request.url.path]), Clock())

    assert await titles.title("gone") is None
    assert await titles.title("odd") is None
