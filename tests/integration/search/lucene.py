"""An offline OpenSearch for the parity suite: the request bodies the adapter sends, evaluated over the
documents it indexes, with the semantics OpenSearch documents and Lucene 9 implements.

Only what the adapter uses is here, and anything else is refused rather than guessed: the whitespace
analyser (Java's whitespace, tokens of at most 255 characters), BM25 (k1 1.2, b 0.75, idf over the
documents holding the field, lengths stored in Lucene's one-byte norms), term, fuzzy (Damerau, at most
max_expansions terms), prefix, constant_score, bool, dis_max, match_all, function_score with
field_value_factor, terms aggregations, sorting by score then a keyword, from and size.
"""

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opensearchpy import AsyncOpenSearch
from opensearchpy._async.http_aiohttp import AsyncConnection

from services.search.domain.spelling import edit_distance
from services.search.engines import opensearch_schema as schema

K1, B = 1.2, 0.75
MAX_TOKEN_LENGTH = 255
# Character.isWhitespace: space separators but the non-breaking ones, and the control separators.
JAVA_WHITESPACE = frozenset("\t\n\u000b\f\r\u001c\u001d\u001e\u001f \u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                            "\u2006\u2008\u2009\u200a\u2028\u2029\u205f\u3000")
NUM_FREE_VALUES = 24


def whitespace_tokens(text: str) -> list[str]:
    """Lucene's WhitespaceTokenizer: runs of non-whitespace, cut every 255 characters."""
    tokens, current = [], ""
    for char in text:
        if char in JAVA_WHITESPACE:
            if current:
                tokens.append(current)
            current = ""
            continue
        current += char
        if len(current) == MAX_TOKEN_LENGTH:
            tokens.append(current)
            current = ""
    return [*tokens, current] if current else tokens


def _long_to_int4(i: int) -> int:
    bits = i.bit_length()
    if bits < 4:
        return i
    shift = bits - 4
    return ((i >> shift) & 0x07) | ((shift + 1) << 3)


def _int4_to_long(i: int) -> int:
    bits, shift = i & 0x07, (i >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


def stored_length(length: int) -> int:
    """A field's length as BM25 reads it back: SmallFloat.intToByte4, then byte4ToInt."""
    encoded = length if length < NUM_FREE_VALUES else NUM_FREE_VALUES + _long_to_int4(length - NUM_FREE_VALUES)
    return encoded if encoded < NUM_FREE_VALUES else NUM_FREE_VALUES + _int4_to_long(encoded - NUM_FREE_VALUES)


class Unsupported(AssertionError):
    pass


@dataclass(frozen=True)
class Field:
    docs: list[dict[str, int]]  # per document: term → frequency
    lengths: list[int]
    doc_count: int
    average: float
    frequencies: bool


class LuceneIndex:
    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.documents = documents
        properties = schema.mappings()["properties"]
        self.text = {name: self._field(name, spec["index_options"] == "freqs")
                     for name, spec in properties.items() if spec.get("analyzer") == "whitespace"}
        self.keyword = {name for name, spec in properties.items() if spec["type"] in ("keyword", "boolean")}
        self._postings: dict[str, dict[str, set[int]]] = {}

    def _field(self, name: str, frequencies: bool) -> Field:
        docs, lengths = [], []
        for doc in self.documents:
            tokens = whitespace_tokens(doc.get(name, ""))
            counts: dict[str, int] = {}
            for token in tokens:
                counts[token] = counts.get(token, 0) + 1
            docs.append(counts if frequencies else dict.fromkeys(counts, 1))
            lengths.append(len(tokens))
        holding = sum(1 for d in docs if d)
        # For a field indexed without frequencies, sumTotalTermFreq is sumDocFreq.
        total = sum(lengths) if frequencies else sum(len(d) for d in docs)
        return Field(docs, lengths, holding, total / holding if holding else 0.0, frequencies)

    def tokens(self, name: str, n: int) -> list[str]:
        return whitespace_tokens(self.documents[n].get(name, ""))

    def _values(self, name: str, n: int) -> list[str]:
        value = self.documents[n].get(name)
        return [str(v).lower() if isinstance(v, bool) else str(v)
                for v in (value if isinstance(value, list) else [] if value is None else [value])]

    def _terms_of(self, name: str, n: int) -> set[str]:
        if name in self.text:
            return set(self.text[name].docs[n])
        if name in self.keyword:
            return set(self._values(name, n))
        raise Unsupported(f"field {name} is not searchable")

    # Queries: each returns the score of every matching document.

    def evaluate(self, query: dict[str, Any]) -> dict[int, float]:
        [(kind, spec)] = query.items()
        handler: Callable[[Any], dict[int, float]] | None = getattr(self, f"_{kind}", None)
        if handler is None:
            raise Unsupported(f"query {kind}")
        return handler(spec)

    def _match_all(self, spec: dict[str, Any]) -> dict[int, float]:
        return dict.fromkeys(range(len(self.documents)), float(spec.get("boost", 1.0)))

    def _term(self, spec: dict[str, Any]) -> dict[int, float]:
        [(name, value)] = spec.items()
        value, boost = (value["value"], value.get("boost", 1.0)) if isinstance(value, dict) else (value, 1.0)
        value = str(value).lower() if isinstance(value, bool) else str(value)
        if name not in self.text:
            if boost != 1.0:
                raise Unsupported(f"a scored term query on keyword field {name}")
            return dict.fromkeys(self.postings(name).get(value, ()), 1.0)
        found = self.text[name]
        holding = sorted(self.postings(name).get(value, ()))
        idf = math.log(1 + (found.doc_count - len(holding) + 0.5) / (len(holding) + 0.5))
        scores = {}
        for n in holding:
            tf = found.docs[n][value]
            norm = K1 * (1 - B + B * stored_length(found.lengths[n]) / found.average)
            scores[n] = boost * idf * tf / (tf + norm)
        return scores

    def postings(self, name: str) -> dict[str, set[int]]:
        """Each term of a field and the documents holding it."""
        if name not in self._postings:
            found: dict[str, set[int]] = {}
            for n in range(len(self.documents)):
                for term in self._terms_of(name, n):
                    found.setdefault(term, set()).add(n)
            self._postings[name] = found
        return self._postings[name]

    def _expanded(self, name: str, matches: Callable[[str], bool], limit: int | None = None,
                  rank: Callable[[str], Any] | None = None) -> dict[int, float]:
        postings = self.postings(name)
        terms = sorted((t for t in postings if matches(t)), key=rank)
        return {n: 1.0 for t in (terms[:limit] if limit is not None else terms) for n in postings[t]}

    def _fuzzy(self, spec: dict[str, Any]) -> dict[int, float]:
        [(name, options)] = spec.items()
        value, edits = options["value"], int(options["fuzziness"])
        if not options.get("transpositions", True) or options.get("prefix_length", 0):
            raise Unsupported("fuzzy without transpositions or with a prefix length")
        return self._expanded(name, lambda t: edit_distance(value, t) <= edits, options.get("max_expansions", 50),
                              rank=lambda t: (edit_distance(value, t), t))

    def _prefix(self, spec: dict[str, Any]) -> dict[int, float]:
        [(name, options)] = spec.items()
        value = options["value"] if isinstance(options, dict) else options
        return self._expanded(name, lambda t: t.startswith(value))

    def _constant_score(self, spec: dict[str, Any]) -> dict[int, float]:
        return dict.fromkeys(self.evaluate(spec["filter"]), float(spec.get("boost", 1.0)))

    def _dis_max(self, spec: dict[str, Any]) -> dict[int, float]:
        tie = float(spec.get("tie_breaker", 0.0))
        each = [self.evaluate(q) for q in spec["queries"]]
        scores = {}
        for n in {n for found in each for n in found}:
            got = [found[n] for found in each if n in found]
            scores[n] = (max(got) + tie * (sum(got) - max(got))) * float(spec.get("boost", 1.0))
        return scores

    def _bool(self, spec: dict[str, Any]) -> dict[int, float]:
        if set(spec) - {"must", "should", "filter", "minimum_should_match", "boost"}:
            raise Unsupported(f"bool with {sorted(spec)}")
        must = [self.evaluate(q) for q in spec.get("must", [])]
        should = [self.evaluate(q) for q in spec.get("should", [])]
        filters = [self.evaluate(q) for q in spec.get("filter", [])]
        least = spec.get("minimum_should_match", 0 if must or filters else 1 if should else 0)
        scores = {}
        for n in range(len(self.documents)):
            if not all(n in m for m in must + filters):
                continue
            matched = [s[n] for s in should if n in s]
            if len(matched) < least:
                continue
            scores[n] = (sum(m[n] for m in must) + sum(matched)) * float(spec.get("boost", 1.0))
        return scores

    def _function_score(self, spec: dict[str, Any]) -> dict[int, float]:
        if spec.get("boost_mode") != "multiply" or len(spec.get("functions", [])) != 1 or set(spec) - {
                "query", "functions", "boost_mode"}:
            raise Unsupported(f"function_score with {sorted(spec)}")
        [function] = spec["functions"]
        factor = function.get("field_value_factor")
        if factor is None or set(function) != {"field_value_factor"} or factor.get("modifier", "none") != "none":
            raise Unsupported(f"function {function}")
        scores = self.evaluate(spec["query"])
        for n in scores:
            value = self.documents[n].get(factor["field"], factor.get("missing"))
            scores[n] *= float(factor.get("factor", 1.0)) * float(value)
        return scores

    # A search request.

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        if set(body) - {"query", "from", "size", "track_total_hits", "sort", "_source", "aggs"}:
            raise Unsupported(f"search with {sorted(body)}")
        scores = self.evaluate(body.get("query", {"match_all": {}}))
        if body.get("sort", ["_score", "slug"]) != ["_score", "slug"]:
            raise Unsupported(f"sort {body['sort']}")
        ranked = sorted(scores, key=lambda n: (-scores[n], self.documents[n]["slug"]))
        start = body.get("from", 0)
        page = ranked[start:start + body.get("size", 10)]
        sources = body.get("_source", True)
        hits = [{"_id": self.documents[n]["slug"], "_score": scores[n],
                 "_source": {k: v for k, v in self.documents[n].items() if sources is True or k in sources}}
                for n in page]
        return {"hits": {"total": {"value": len(ranked), "relation": "eq"}, "hits": hits},
                "aggregations": {name: self._terms_aggregation(agg, scores)
                                 for name, agg in body.get("aggs", {}).items()}}

    def _terms_aggregation(self, agg: dict[str, Any], matched: dict[int, float]) -> dict[str, Any]:
        [(kind, spec)] = agg.items()
        if kind != "terms" or set(spec) - {"field", "size"}:
            raise Unsupported(f"aggregation {agg}")
        counts: dict[str, int] = {}
        for n in matched:
            for value in set(self._values(spec["field"], n)):
                counts[value] = counts.get(value, 0) + 1
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = ordered[:spec.get("size", 10)]
        return {"buckets": [{"key": k, "doc_count": c} for k, c in kept],
                "sum_other_doc_count": sum(c for _, c in ordered[len(kept):])}

    def client(self, alias: str) -> AsyncOpenSearch:
        """A client whose searches of `alias` this index answers; any other request is refused."""
        index = self

        class Connection(AsyncConnection):
            async def perform_request(self, method: str, url: str, params: Any = None, body: bytes | None = None,
                                      timeout: Any = None, ignore: Any = (), headers: Any = None  # noqa: ASYNC109
                                      ) -> tuple[int, dict[str, str], str]:
                if (method, url) != ("POST", f"/{alias}/_search"):
                    raise Unsupported(f"{method} {url}")
                return 200, {"content-type": "application/json"}, json.dumps(index.search(json.loads(body or b"{}")))

            async def close(self) -> None:
                return None

        return AsyncOpenSearch(hosts=["http://lucene.test:9200"], connection_class=Connection)
