from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from services.search import handlers
from services.search.domain import MAX_QUERY_LENGTH, Document, Lang, SearchQuery
from services.search.handlers import Deps
from shared.contracts.base import Bilingual
from shared.web import Problem

router = APIRouter()

Text = Annotated[str, Query(max_length=MAX_QUERY_LENGTH)]
Typed = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH)]


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


class Ministry(BaseModel):
    code: str
    name: Bilingual


class SearchHit(BaseModel):
    slug: str
    title: Bilingual
    ministry: Ministry
    score: float
    highlight: str


class SearchFacets(BaseModel):
    ministry: dict[str, int]
    life_event: dict[str, int]
    maturity: dict[str, int]


class SearchPage(BaseModel):
    total: int
    page: int
    hits: list[SearchHit]
    facets: SearchFacets
    suggestion: str | None = None


class Suggestion(BaseModel):
    slug: str
    title: Bilingual


class Suggestions(BaseModel):
    suggestions: list[Suggestion]


def _ministry(document: Document) -> Ministry:
    return Ministry(code=document.ministry, name=document.ministry_name)


@router.get("/api/v1/search")
async def search(deps: D, q: Text = "", lang: Lang = "ar", ministry: str | None = None,
                 life_event: str | None = None, maturity: str | None = None,
                 page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> SearchPage:
    query = SearchQuery(text=q, lang=lang, ministry=ministry, life_event=life_event, maturity=maturity,
                        page=page)
    if query.is_blank and not query.has_filters:
        raise Problem(422, "query-required", "Type what you are looking for, or choose a ministry, "
                                             "life event or maturity.")
    results = await handlers.search_services(query, deps)
    return SearchPage(
        total=results.total, page=page,
        hits=[SearchHit(slug=hit.document.slug, title=hit.document.title, ministry=_ministry(hit.document),
                        score=hit.score, highlight=hit.highlight) for hit in results.hits],
        facets=SearchFacets(ministry=results.facets.ministry, life_event=results.facets.life_event,
                            maturity=results.facets.maturity),
    )


@router.get("/api/v1/search/suggest")
async def suggest(deps: D, q: Typed) -> Suggestions:
    documents = await handlers.suggest_services(q, deps)
    return Suggestions(suggestions=[Suggestion(slug=d.slug, title=d.title) for d in documents])
