"""The standards' own validators, as the tests call them: the CPSV-AP 3.2.0 SHACL shapes through pySHACL, and
the AsyncAPI initiative's parser (@asyncapi/parser on Node, from tests/validators)."""

import json
import shutil
import subprocess
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH

from tests.conftest import IN_CI

CPSV_AP = Path(__file__).parent / "data" / "cpsv-ap-3.2.0"
VALIDATORS = Path(__file__).parent / "validators"
Finding = tuple[str, str, str]
Diagnostic = dict[str, str]


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


def asyncapi_parser(*documents: dict[str, Any]) -> list[list[Diagnostic]]:
    """@asyncapi/parser's diagnostics ({severity, code, message, path}) for each document, in one Node run."""
    node = shutil.which("node")
    if node is None or not (VALIDATORS / "node_modules" / "@asyncapi" / "parser").is_dir():
        message = "Node or @asyncapi/parser is missing (make validator-deps)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    run = subprocess.run([node, "asyncapi.mjs"], cwd=VALIDATORS, input=json.dumps(documents).encode(),
                         capture_output=True, timeout=120, check=True)
    diagnostics: list[list[Diagnostic]] = json.loads(run.stdout)
    return diagnostics
