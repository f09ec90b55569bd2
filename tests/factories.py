"""Factories for what tests need, named create_*."""

from shared.auth import Identity


def create_citizen(national_id: str = "12345678", name: str = "Aisha Al-Balushi", lang: str = "ar") -> Identity:
    return Identity(subject=national_id, role="citizen", name=name, lang=lang)


def create_ministry_identity(code: str = "rop") -> Identity:
    return Identity(subject=code, role="ministry", ministry=code)


def create_admin() -> Identity:
    return Identity(subject="staff-1", role="admin", name="Portal staff")


def create_gateway_service(slug: str = "renew-driving-licence", title_ar: str = "تجديد رخصة القيادة",
                           title_en: str = "Renew a driving licence", life_events: list[str] | None = None
                           ) -> dict[str, object]:
    """A catalogue entry as the catalogue service returns it (bilingual), with a form of several kinds."""
    return {
        "slug": slug, "ministry": "rop", "ministry_name": {"ar": "شرطة عمان السلطانية", "en": "Royal Oman Police"},
        "version": 1, "title": {"ar": title_ar, "en": title_en},
        "description": {"ar": "جدّد رخصتك عبر الإنترنت.", "en": "Renew your licence online."},
        "maturity": "electronic", "life_events": life_events or ["driving"], "target_days": 3,
        "steps": [{"title": {"ar": "قدّم الطلب", "en": "Apply"}},
                  {"title": {"ar": "ادفع الرسوم", "en": "Pay the fee"},
                   "detail": {"ar": "بالبطاقة.", "en": "By card."}}],
        "form": [
            {"name": "licence_number", "kind": "text", "label": {"ar": "رقم الرخصة", "en": "Licence number"},
             "required": True, "min_length": 5, "max_length": 12, "choices": []},
            {"name": "delivery", "kind": "choice", "label": {"ar": "طريقة الاستلام", "en": "Delivery"},
             "required": True, "choices": ["post", "service_centre"]},
            {"name": "phone", "kind": "phone", "label": {"ar": "رقم الهاتف", "en": "Phone number"},
             "required": True, "choices": []},
            {"name": "copies", "kind": "number", "label": {"ar": "عدد النسخ", "en": "Copies"},
             "required": False, "minimum": 1, "maximum": 3, "choices": []},
            {"name": "insured", "kind": "boolean", "label": {"ar": "التأمين ساري", "en": "Insurance is valid"},
             "required": False, "choices": []},
        ],
        "channels": [{"kind": "online", "name": {"ar": "الموقع", "en": "The website"}, "hours": []}],
        "evidence": [{"name": {"ar": "البطاقة الشخصية", "en": "Civil ID card"}, "original_required": True}],
        "fees": [{"channel": "online", "amount_omr": "20.000", "description": None}],
        "eligibility": None,
    }
