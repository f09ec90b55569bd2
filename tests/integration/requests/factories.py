"""Factories for the requests service's tests: staff of a ministry and the seeded services proactive rules name."""

from shared.auth import Identity
from shared.contracts.base import Bilingual
from shared.contracts.catalog import FormField, ServiceRecord


def create_officer(ministry: str = "rop", subject: str = "officer-7", name: str = "Salim Al-Harthi") -> Identity:
    return Identity(subject=subject, role="officer", ministry=ministry, name=name)


def create_service_manager(ministry: str = "rop") -> Identity:
    return Identity(subject="manager-1", role="service_manager", ministry=ministry, name="Maryam Al-Said")


def create_renewal_service(slug: str = "renew-driving-licence", ministry: str = "rop",
                           field: str = "licence_number", target_days: int = 2,
                           issues_documents: tuple[str, ...] = ()) -> ServiceRecord:
    """A renewal whose only required answer the rule fills in from the document: one step to submit."""
    text = Bilingual(ar="تجديد", en="Renewal")
    return ServiceRecord(slug=slug, ministry=ministry, ministry_name=Bilingual(ar="شرطة", en="Police"), version=1,
                         title=text, description=text, maturity="electronic", target_days=target_days,
                         issues_documents=list(issues_documents),
                         form=[FormField(name=field, kind="text", label=text),
                               FormField(name="phone", kind="phone", label=text, required=False)])


def create_child_benefit_service() -> ServiceRecord:
    text = Bilingual(ar="منفعة الطفل", en="Child benefit")
    return ServiceRecord(slug="child-benefit", ministry="spf", ministry_name=Bilingual(ar="صندوق", en="Fund"),
                         version=1, title=text, description=text, maturity="electronic", target_days=5,
                         life_events=["birth"],
                         form=[FormField(name="guardian_civil_number", kind="national_id", label=text),
                               FormField(name="child_civil_number", kind="national_id", label=text),
                               FormField(name="iban", kind="text", label=text)])
