"""The standards' own validators, as the tests call them: CPSV-AP 3.2.0 SHACL shapes through pySHACL."""

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH

CPSV_AP = Path(__file__).parent / "data" / "cpsv-ap-3.2.0"
Finding = tuple[str, str, str]


@cache
def cpsv_ap_graphs() -> tuple[Graph, Graph]:
    """The official shapes and the vocabulary (the ontology graph for RDFS inference), vendored, read once."""
    return Graph().parse(CPSV_AP / "cpsv-ap-SHACL.ttl"), Graph().parse(CPSV_AP / "cpsv-ap.ttl")


def cpsv_ap_findings(document: dict[str, Any]) -> Counter[Finding]:
    """(severity, focus node, path) of each result the CPSV-AP 3.2.0 shapes report on a JSON-LD document."""
    shapes, vocabulary = cpsv_ap_graphs()
    data = Graph().parse(data=json.dumps(document), format="json-ld")
    _, report, _ = validate(data, shacl_graph=shapes, ont_graph=vocabulary, inference="rdfs", allow_warnings=True)
    return Counter((str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                    str(report.value(result, SH.focusNode)), str(report.value(result, SH.resultPath)))
                   for result in report.subjects(SH.resultSeverity, None))


def violations(found: Counter[Finding]) -> Counter[Finding]:
    return Counter({finding: n for finding, n in found.items() if finding[0] == "Violation"})
