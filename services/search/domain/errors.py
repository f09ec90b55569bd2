"""What can go wrong on purpose: each becomes an RFC 9457 problem at the edge (api.py)."""


class SearchError(Exception):
    status = 400

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


class NotFound(SearchError):
    status = 404


class Conflict(SearchError):
    status = 409


class Invalid(SearchError):
    status = 422


class Unavailable(SearchError):
    """The search engine behind the service does not answer: a 503 that names it, never a 500."""

    status = 503
