"""Open311 answers as JSON or XML, from the same models, so both formats carry the same fields."""

import json
from collections.abc import Sequence
from typing import Any, Literal
from xml.etree import ElementTree

from pydantic import BaseModel

Format = Literal["json", "xml"]
MEDIA_TYPES: dict[Format, str] = {"json": "application/json", "xml": "text/xml; charset=utf-8"}
# GeoReport v2's element names: a list element holds one child element per item, named in the singular.
_ITEMS = {"services": "service", "attributes": "attribute", "values": "value", "service_requests": "request",
          "errors": "error", "endpoints": "endpoint", "formats": "format"}


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, _ITEMS[element.tag]), item)
    else:
        element.text = _scalar(value)


def to_xml(root: str, content: BaseModel | Sequence[BaseModel]) -> bytes:
    element = ElementTree.Element(root)
    data = content.model_dump(mode="json") if isinstance(content, BaseModel) else \
        [item.model_dump(mode="json") for item in content]
    if isinstance(data, list):
        for item in data:
            _fill(ElementTree.SubElement(element, _ITEMS[root]), item)
    else:
        _fill(element, data)
    body: bytes = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return body


def to_json(content: BaseModel | Sequence[BaseModel]) -> bytes:
    data = content.model_dump(mode="json") if isinstance(content, BaseModel) else \
        [item.model_dump(mode="json") for item in content]
    return json.dumps(data, ensure_ascii=False).encode()


def render(format_: Format, root: str, content: BaseModel | Sequence[BaseModel]) -> bytes:
    """`root` is the XML document element (services, service_definition, service_requests, errors, discovery)."""
    return to_xml(root, content) if format_ == "xml" else to_json(content)
