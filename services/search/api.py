from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field

from services.search import handlers
from services.search.domain import (
    MAX_PAGE,
    MAX_QUERY_LENGTH,
    IndexedService,
    Lang,
    SearchError,
    SearchQuery,
    SynonymSet,
)
from services.search.handlers import Deps
from shared.auth import Identity, require_identity
from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServiceRecord
from shared.web import Problem

router = APIRouter()

Text = Annotated[str, Query(max_length=MAX_QUERY_LENGTH)]
Typed = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH)]
Admin = Annotated[Identity, Depends(require_identity("admin"))]
MAX_BATCH = 200
# Row ids are SQL BIGINTs: anything larger is simply not found, not an overflow in the driver.
SetId = Annotated[int, Path(ge=1, le=2**63 - 1)]


async def get_deps(request: Request) -> Deps:
    """async: FastAPI runs a plain `def` dependency on a worker thread, a hand-over per request."""
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


def problem(error: Exception) -> Problem:
    assert isinstance(error, SearchError)
    return Problem(error.status, error.code, error.detail)


class Ministry(BaseModel):
    code: str
    name: Bilingual


class MatchReason(BaseModel):
    """Why a hit matched: an intent or concept the query and the service share, or words of the query."""

    kind: Literal["intent", "concept", "words"]
    value: str
    label: str


class SearchHit(BaseModel):
    slug: str
    title: Bilingual
    ministry: Ministry
    score: float
    highlight: str
    # Added for query understanding; clients that do not know it can ignore it.
    why: list[MatchReason] = []


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


def _ministry(service: IndexedService) -> Ministry:
    return Ministry(code=service.ministry, name=service.ministry_name)


# The page is serialised here rather than returned: FastAPI would validate every hit a second time, and
# this is the portal's busiest route.
@router.get("/api/v1/search", response_model=SearchPage)
async def search(deps: D, q: Text = "", lang: Lang = "ar", ministry: str | None = None,
                 life_event: str | None = None, maturity: str | None = None,
                 page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
                 x_portal_session: Annotated[str, Header(max_length=200)] = "") -> Response:
    query = SearchQuery(text=q, lang=lang, ministry=ministry, life_event=life_event, maturity=maturity,
                        page=page, session=x_portal_session)
    if query.is_blank and not query.has_filters:
        raise Problem(422, "query-required", "Type what you are looking for, or choose a ministry, "
                                             "life event or maturity.")
    results = await handlers.search_services(query, deps)
    found = SearchPage(
        total=results.total, page=page,
        hits=[SearchHit(slug=hit.service.slug, title=hit.service.title, ministry=_ministry(hit.service),
                        score=hit.score, highlight=hit.highlight,
                        why=[MatchReason(kind=r.kind, value=r.value, label=r.label) for r in hit.why])
             for hit in results.hits],
        facets=SearchFacets(ministry=results.facets.ministry, life_event=results.facets.life_event,
                            maturity=results.facets.maturity),
        suggestion=results.suggestion,
    )
    return Response(found.model_dump_json(), media_type="application/json")


@router.get("/api/v1/search/suggest")
async def suggest(deps: D, q: Typed) -> Suggestions:
    services = await handlers.suggest_services(q, deps)
    return Suggestions(suggestions=[Suggestion(slug=s.slug, title=s.title) for s in services])


# Staff: synonyms, the query report, and rebuilding the index.

class SynonymDraft(BaseModel):
    lang: Lang
    phrases: list[str] = Field(max_length=50)


class SynonymSetOut(BaseModel):
    id: int
    lang: Lang
    phrases: list[str]


def _synonym_set(found: SynonymSet) -> SynonymSetOut:
    return SynonymSetOut(id=found.id, lang=found.lang, phrases=list(found.phrases))


class QueryCountOut(BaseModel):
    query: str
    searches: int
    without_results: int
    last_searched_at: datetime
    # How query understanding rewrote the query (rewrites, concepts, intents); None when it changed nothing.
    rewritten: str | None = None


class QueryReport(BaseModel):
    most_frequent: list[QueryCountOut]
    without_results: list[QueryCountOut]
    # The queries understanding rewrote, most searched first: what staff read to grow the lexicon.
    rewritten: list[QueryCountOut] = []
    queries_kept: int


class RebuildRecord(ServiceRecord):
    # The catalogue counts versions in an SQL INTEGER; the index keeps them as 64-bit integers, which a larger
    # number would overflow.
    version: int = Field(ge=1, le=2**31 - 1)


class RebuildBatch(BaseModel):
    services: list[RebuildRecord] = Field(max_length=MAX_BATCH)


class RebuildEnd(BaseModel):
    expected: int = Field(ge=0, le=10_000_000)


@router.get("/api/v1/admin/search/synonyms")
async def list_synonyms(_: Admin, deps: D, lang: Lang | None = None) -> dict[str, list[SynonymSetOut]]:
    return {"items": [_synonym_set(s) for s in await handlers.list_synonyms(deps, lang)]}


@router.post("/api/v1/admin/search/synonyms", status_code=201)
async def add_synonyms(draft: SynonymDraft, _: Admin, deps: D) -> SynonymSetOut:
    return _synonym_set(await handlers.add_synonyms(handlers.AddSynonyms(draft.lang, draft.phrases), deps))


@router.delete("/api/v1/admin/search/synonyms/{set_id}", status_code=204)
async def remove_synonyms(set_id: SetId, _: Admin, deps: D) -> Response:
    await handlers.remove_synonyms(set_id, deps)
    return Response(status_code=204)


@router.get("/api/v1/admin/search/queries")
async def query_report(_: Admin, deps: D, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> QueryReport:
    return QueryReport.model_validate(await handlers.query_report(limit, deps))


@router.get("/api/v1/admin/search/index")
async def index_status(_: Admin, deps: D) -> dict[str, int]:
    return {"services": await handlers.index_status(deps)}


@router.post("/api/v1/admin/search/rebuilds", status_code=201)
async def begin_rebuild(_: Admin, deps: D) -> dict[str, str]:
    return {"build": await handlers.begin_rebuild(deps)}


@router.post("/api/v1/admin/search/rebuilds/{build}/services")
async def add_to_rebuild(build: str, batch: RebuildBatch, _: Admin, deps: D) -> dict[str, int]:
    return {"received": len(batch.services), "indexed": await handlers.add_to_rebuild(build, batch.services, deps)}


@router.post("/api/v1/admin/search/rebuilds/{build}/complete")
async def complete_rebuild(build: str, end: RebuildEnd, _: Admin, deps: D) -> dict[str, str | int]:
    summary = await handlers.complete_rebuild(build, end.expected, deps)
    return {"build": summary.build, "services": summary.services, "retired": summary.retired}
