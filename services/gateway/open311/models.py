"""Open311 GeoReport v2 wire shapes (https://wiki.open311.org/GeoReport_v2): the same fields in JSON and XML."""

from typing import Literal

from pydantic import BaseModel, Field

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


class Open311Service(BaseModel):
    service_code: str = Field(description="The portal's service slug.")
    service_name: str
    description: str
    metadata: bool = Field(description="True when the service has a form: read its definition for the attributes.")
    type: Literal["realtime", "batch", "blackbox"] = Field(
        description="realtime: the service takes requests online and answers with the tracking number at once; "
                    "batch: a manual service, handled in person until its ministry brings it online.")
    keywords: str = Field(description="Comma-separated keywords.")
    group: str = Field(description="The ministry responsible.")


class Open311Value(BaseModel):
    key: str
    name: str


class Open311Attribute(BaseModel):
    variable: bool
    code: str = Field(description="The form field's name; post its answer as attribute[code].")
    datatype: Datatype
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[Open311Value] = Field(default_factory=list)


class Open311ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[Open311Attribute]


class Open311Request(BaseModel):
    """A citizen's request as Open311 shows it: no form answers, no name, no civil number."""

    service_request_id: str = Field(description="The portal's tracking number.")
    status: Literal["open", "closed"]
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


class Open311Created(BaseModel):
    service_request_id: str
    service_notice: str | None = None
    account_id: str | None = None


class Open311Error(BaseModel):
    code: int = Field(description="The HTTP status.")
    description: str = Field(description="The portal's problem code, a colon, and what went wrong.")


class Open311Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Open311Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Open311Endpoint]


class Open311Submission(BaseModel):
    """POST requests.json|xml, form-encoded as the specification says."""

    service_code: str
    api_key: str | None = Field(default=None, description="Identifies the client application; the citizen is "
                                                          "the one signed in (bearer token).")
    jurisdiction_id: str | None = None
    attribute: dict[str, str | list[str]] = Field(
        default_factory=dict, description="attribute[code]=value for each form field; attribute[code][]=value "
                                          "for each choice of a multivaluelist.")
