"""One example of every integration event, as the AsyncAPI document shows it to a ministry.

Built through the models, so an example that no longer fits its event fails at import; the contract tests publish
each one through a real broker to the portal's consumers. The people in them are made up.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from shared.contracts.base import Bilingual, IntegrationEvent
from shared.contracts.catalog import (
    Channel,
    Fee,
    FormField,
    ReadinessAssessed,
    ServicePublished,
    ServiceRecord,
    ServiceRetired,
    ServiceUpdated,
)
from shared.contracts.ministries import DocumentIssued, RequestStatusUpdated
from shared.contracts.notifications import DeliveryFailed
from shared.contracts.requests import (
    Applicant,
    RenewalDue,
    RequestStalled,
    RequestStatusChanged,
    RequestSubmitted,
    SubmissionsCounted,
    SuggestionOffered,
    SurveyInvited,
)


@dataclass(frozen=True)
class Example:
    id: str
    source: str
    subject: str
    time: datetime
    event: IntegrationEvent
    summary: str

    def envelope(self) -> dict[str, object]:
        """The CloudEvents 1.0 structured JSON message, exactly as it travels on the bus."""
        return {"specversion": "1.0", "id": self.id, "source": self.source, "type": self.event.TYPE,
                "subject": self.subject, "time": self.time.isoformat().replace("+00:00", "Z"),
                "datacontenttype": "application/json", "data": self.event.model_dump(mode="json")}


TRACKING = "ROP-2026-000042-8"
AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
_RECORD = ServiceRecord(
    slug="renew-driving-licence", ministry="rop", ministry_name=Bilingual(ar="شرطة عمان السلطانية",
                                                                          en="Royal Oman Police"),
    version=3, title=Bilingual(ar="تجديد رخصة القيادة", en="Renew a driving licence"),
    description=Bilingual(ar="جدّد رخصة القيادة عبر الإنترنت.", en="Renew your driving licence online."),
    maturity="electronic", life_events=["driving"], target_days=3,
    form=[FormField(name="licence_number", kind="text", label=Bilingual(ar="رقم الرخصة", en="Licence number"))],
    channels=[Channel(kind="online", url="https://www.rop.gov.om")],
    fees=[Fee(channel="online", amount_omr=Decimal("10.000"))])


def _example(number: int, source: str, subject: str, event: IntegrationEvent, summary: str) -> Example:
    return Example(f"7a1c2e9a-0b7d-4f3e-9c51-{number:012d}", source, subject, AT, event, summary)


EXAMPLES: dict[type[IntegrationEvent], Example] = {type(e.event): e for e in (
    _example(1, "/requests", TRACKING, RequestSubmitted(
        tracking_number=TRACKING, service="renew-driving-licence", service_version=3, ministry="rop",
        applicant=Applicant(national_id="12345678", name="Aisha Al-Balushi", lang="ar"),
        fields={"licence_number": "DL-998877"}, submitted_at=AT, due_on=datetime(2026, 3, 4, 8, 30, tzinfo=UTC)),
        "A citizen asks the Royal Oman Police to renew a driving licence."),
    _example(2, "/ministries/rop", TRACKING, RequestStatusUpdated(
        tracking_number=TRACKING, status="action_required", note="The photo is unclear; please upload another.",
        fields_to_correct=["photo"], occurred_at=AT),
        "The ministry asks the citizen to correct one field."),
    _example(3, "/ministries/rop", TRACKING, DocumentIssued(
        national_id="12345678", document_type="driving_licence", number="DL-998877", issued_on=date(2026, 3, 2),
        expires_on=date(2036, 3, 1), tracking_number=TRACKING, occurred_at=AT),
        "The ministry issued the renewed licence, valid ten years."),
    _example(4, "/requests", TRACKING, RequestStatusChanged(
        tracking_number=TRACKING, service="renew-driving-licence", ministry="rop", citizen="12345678", lang="ar",
        status="in_review", previous_status="received", actor="ministry:rop", changed_at=AT),
        "The request moved from received to in review."),
    _example(5, "/requests", "12345678", RenewalDue(
        offer_id="offer-7f3a", citizen="12345678", lang="ar", document_type="driving_licence",
        document_number="DL-998877", expires_on=date(2026, 4, 30), service="renew-driving-licence", ministry="rop",
        days_ahead=60, due_at=AT),
        "A driving licence expires in sixty days: the renewal is offered."),
    _example(6, "/requests", TRACKING, SurveyInvited(
        tracking_number=TRACKING, service="renew-driving-licence", ministry="rop", citizen="12345678", lang="en",
        invited_at=AT),
        "A completed request: the citizen is invited to rate it."),
    _example(7, "/catalog", "renew-driving-licence", ServicePublished(service=_RECORD),
             "The Royal Oman Police published a service."),
    _example(8, "/catalog", "renew-driving-licence", ServiceUpdated(service=_RECORD),
             "A published service changed (version 3)."),
    _example(9, "/catalog", "renew-driving-licence", ServiceRetired(
        slug="renew-driving-licence", ministry="rop", version=3),
        "A service no longer takes requests."),
    _example(10, "/catalog", "renew-driving-licence", ReadinessAssessed(
        slug="renew-driving-licence", ministry="rop", maturity="electronic", volume_per_year=120000,
        manual_cost_omr=Decimal("4.250"), digital_cost_omr=Decimal("0.600"), assessed_at=AT),
        "The ministry assessed the service's readiness and costs per transaction."),
    _example(11, "/notifications", TRACKING, DeliveryFailed(
        notification_id="n-5c1d", delivery_id="d-77e0", source_event_id="7a1c2e9a-0b7d-4f3e-9c51-000000000004",
        kind="status_changed", tracking_number=TRACKING, channel="sms", reason="refused by the SMS provider",
        attempts=5, fallback_channel="email", failed_at=AT),
        "The SMS channel gave up on a notification; email is tried next."),
    _example(12, "/requests", TRACKING, RequestStalled(
        tracking_number=TRACKING, service="renew-driving-licence", ministry="rop", status="in_review",
        since=datetime(2026, 2, 26, 10, 0, tzinfo=UTC), expected_step_seconds=86400, stalled_at=AT),
        "A request has waited in review longer than a review of this service usually takes."),
    _example(13, "/requests", TRACKING, SuggestionOffered(
        tracking_number=TRACKING, citizen="12345678", lang="ar", service="renew-vehicle-registration",
        ministry="rop", because_of="renew-driving-licence", offered_at=AT),
        "A citizen who opted in completed a request most people follow with another service."),
    _example(14, "/requests", "submissions", SubmissionsCounted(
        submissions={"renew-driving-licence": 48213, "renew-vehicle-registration": 30977}, counted_at=AT),
        "Two services had requests since the last report: their totals so far."),
)}
