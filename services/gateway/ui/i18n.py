"""The web UI's words in Arabic (first) and English."""

from typing import Literal

Lang = Literal["ar", "en"]

TEXT: dict[str, tuple[str, str]] = {
    "portal": ("بوابة الخدمات الحكومية الموحدة", "Unified Government Services Portal"),
    "skip": ("تخطَّ إلى المحتوى الرئيسي", "Skip to main content"),
    "switch": ("English", "العربية"),
    "switch_label": ("Read this page in English", "اقرأ هذه الصفحة بالعربية"),
    "nav": ("القائمة الرئيسية", "Main menu"),
    "home": ("الرئيسية", "Home"),
    "dashboard": ("لوحتي", "My dashboard"),
    "notifications": ("الإشعارات", "Notifications"),
    "track": ("تتبّع طلباً", "Track a request"),
    "sign_in": ("تسجيل الدخول", "Sign in"),
    "sign_out": ("تسجيل الخروج", "Sign out"),
    "signed_in_as": ("مسجّل الدخول باسم", "Signed in as"),
    "search_label": ("ابحث عن خدمة حكومية", "Search for a government service"),
    "search_hint": ("مثلاً: تجديد رخصة القيادة، جواز السفر", "For example: renew driving licence, passport"),
    "search": ("بحث", "Search"),
    "life_events": ("خدمات حسب مناسبات الحياة", "Services by life event"),
    "results": ("نتائج البحث", "Search results"),
    "results_count": ("عدد النتائج", "Results found"),
    "no_results": ("لم نجد خدمات تطابق بحثك. جرّب كلمات أخرى.", "No services match your search. Try other words."),
    "did_you_mean": ("هل تقصد", "Did you mean"),
    "filter": ("تصفية النتائج", "Filter the results"),
    "ministry": ("الجهة", "Ministry"),
    "life_event": ("مناسبة الحياة", "Life event"),
    "maturity": ("مستوى الخدمة", "Service level"),
    "clear_filters": ("إزالة عوامل التصفية", "Clear filters"),
    "unavailable": ("هذا الجزء غير متاح الآن؛ بقية البوابة تعمل. حاول بعد قليل.",
                    "This part is unavailable right now; the rest of the portal works. Please try again shortly."),
    "unavailable_named": ("الخدمة التالية لا تجيب الآن", "This service is not answering right now"),
    "steps": ("الخطوات", "Steps"),
    "documents": ("المستندات المطلوبة", "Documents you need"),
    "original_required": ("يلزم إحضار الأصل", "Bring the original"),
    "fees": ("الرسوم", "Fees"),
    "no_fee": ("بدون رسوم", "No fee"),
    "omr": ("ر.ع.", "OMR"),
    "time": ("مدة الإنجاز", "How long it takes"),
    "working_days": ("أيام عمل", "working days"),
    "channels": ("قنوات تقديم الخدمة", "Where to get this service"),
    "eligibility": ("من يحق له", "Who can apply"),
    "apply": ("قدّم الطلب الآن", "Apply now"),
    "apply_title": ("تقديم طلب", "Apply"),
    "sign_in_to_apply": ("سجّل الدخول لتقديم الطلب", "Sign in to apply"),
    "submit": ("أرسل الطلب", "Submit the request"),
    "optional": ("(اختياري)", "(optional)"),
    "yes": ("نعم", "Yes"),
    "error_summary": ("يوجد خطأ", "There is a problem"),
    "error_prefix": ("خطأ:", "Error:"),
    "confirm_title": ("تم إرسال طلبك", "Your request has been sent"),
    "your_tracking": ("رقم التتبّع الخاص بك", "Your tracking number"),
    "confirm_next": ("سنرسل لك إشعاراً عند كل تغيير في حالة طلبك.",
                     "We will notify you each time the status of your request changes."),
    "view_request": ("اعرض طلبك", "View your request"),
    "request": ("الطلب", "Request"),
    "status": ("الحالة", "Status"),
    "timeline": ("سجلّ الطلب", "Request history"),
    "overdue": ("متأخر عن الموعد المستهدف", "Past its target date"),
    "due_on": ("الموعد المستهدف", "Target date"),
    "live_note": ("تُحدَّث هذه الصفحة تلقائياً عند تغيّر الحالة.",
                  "This page updates by itself when the status changes."),
    "refresh": ("حدّث الصفحة لرؤية آخر حالة", "Refresh to see the latest status"),
    "track_label": ("رقم التتبّع", "Tracking number"),
    "track_hint": ("مثلاً: ROP-2026-000042-7", "For example: ROP-2026-000042-7"),
    "track_find": ("ابحث عن الطلب", "Find the request"),
    "malformed": ("أدخل رقم التتبّع بالشكل ROP-2026-000042-7: الجهة، السنة، الرقم، حرف التحقق.",
                  "Enter a tracking number like ROP-2026-000042-7: ministry, year, number, check character."),
    "mistyped": ("في رقم التتبّع خطأ في الكتابة: تحقّق من كل حرف ورقم.",
                 "This tracking number has a typing mistake: check each character again."),
    "not_found_request": ("لم نجد طلباً بهذا الرقم في حسابك.", "We found no request with this number in your account."),
    "my_requests": ("طلباتي", "My requests"),
    "no_requests": ("ليس لديك طلبات بعد.", "You have no requests yet."),
    "open": ("مفتوح", "Open"),
    "unread": ("إشعارات غير مقروءة", "Unread notifications"),
    "renewals": ("تجديدات مستحقة", "Renewals due"),
    "no_renewals": ("لا توجد تجديدات مستحقة الآن.", "No renewals are due."),
    "suggested": ("خدمات قد تحتاجها", "Services you may need"),
    "no_notifications": ("لا توجد إشعارات.", "You have no notifications."),
    "new": ("جديد", "New"),
    "national_id": ("الرقم المدني", "Civil number"),
    "national_id_hint": ("من 6 إلى 10 أرقام", "6 to 10 digits"),
    "name": ("الاسم", "Name"),
    "dev_sign_in": ("تسجيل دخول تجريبي (بيئة التطوير فقط)", "Development sign-in (development only)"),
    "sign_in_national": ("سجّل الدخول بالهوية الوطنية", "Sign in with your national identity"),
    "sign_in_failed": ("لم يكتمل تسجيل الدخول. أعد المحاولة.", "Signing in did not complete. Please try again."),
    "no_sign_in": ("تسجيل الدخول عبر الهوية الوطنية غير متاح في هذه النسخة.",
                   "Signing in with the national identity is not available in this build."),
    "required": ("هذا الحقل مطلوب", "This field is required"),
    "bad_national_id": ("أدخل رقماً مدنياً من 6 إلى 10 أرقام", "Enter a civil number of 6 to 10 digits"),
    "bad_phone": ("أدخل رقم هاتف عُمانياً من 8 أرقام يبدأ بـ 7 أو 9",
                  "Enter an Omani phone number: 8 digits starting with 7 or 9"),
    "bad_email": ("أدخل بريداً إلكترونياً صحيحاً، مثل name@example.om",
                  "Enter an email address, like name@example.om"),
    "bad_number": ("أدخل رقماً", "Enter a number"),
    "bad_date": ("أدخل تاريخاً صحيحاً", "Enter a real date"),
    "bad_choice": ("اختر أحد الخيارات", "Choose one of the options"),
    "too_short": ("النص أقصر من المطلوب", "This is too short"),
    "too_long": ("النص أطول من المسموح", "This is too long"),
    "too_small": ("الرقم أصغر من المسموح", "This number is too small"),
    "too_large": ("الرقم أكبر من المسموح", "This number is too large"),
    "invalid": ("هذه الإجابة غير صحيحة", "This answer is not valid"),
    "expired_form": ("انتهت صلاحية النموذج. أعد المحاولة.", "This form has expired. Please try again."),
    "not_found": ("الصفحة غير موجودة", "Page not found"),
    "not_found_detail": ("لم نجد ما تبحث عنه. تحقّق من العنوان.", "We could not find that page. Check the address."),
    "error": ("حدث خطأ", "Something went wrong"),
    "back_home": ("العودة إلى الرئيسية", "Back to the home page"),
    "too_many": ("طلبات كثيرة. انتظر قليلاً ثم حاول مجدداً.", "Too many requests. Wait a moment and try again."),
    "mark_read": ("تعليم الكل كمقروء", "Mark all as read"),
    "footer": ("سلطنة عُمان — بوابة الخدمات الحكومية", "Sultanate of Oman — government services portal"),
}

STATUS: dict[str, tuple[str, str]] = {
    "submitted": ("مُرسَل", "Submitted"), "received": ("مُستلَم", "Received"),
    "in_review": ("قيد المراجعة", "In review"), "action_required": ("مطلوب إجراء منك", "Action required"),
    "approved": ("مقبول", "Approved"), "rejected": ("مرفوض", "Rejected"),
    "completed": ("مكتمل", "Completed"), "cancelled": ("ملغى", "Cancelled"),
}

LIFE_EVENTS: dict[str, tuple[str, str]] = {
    "birth": ("ولادة طفل", "Having a baby"), "education": ("التعليم", "Education"), "work": ("العمل", "Work"),
    "marriage": ("الزواج", "Getting married"), "housing": ("السكن", "Housing"), "driving": ("القيادة", "Driving"),
    "travel": ("السفر", "Travel"), "health": ("الصحة", "Health"), "business": ("بدء نشاط تجاري", "Starting a business"),
    "retirement": ("التقاعد", "Retirement"), "death": ("الوفاة", "Bereavement"), "residency": ("الإقامة", "Residency"),
    "vehicle": ("المركبات", "Vehicles"), "family": ("الأسرة", "Family"),
}

MATURITY: dict[str, tuple[str, str]] = {
    "electronic": ("إلكترونية بالكامل", "Fully online"), "semi_electronic": ("إلكترونية جزئياً", "Partly online"),
    "manual": ("حضورية", "In person"),
}

CHANNELS: dict[str, tuple[str, str]] = {
    "online": ("عبر الإنترنت", "Online"), "service_centre": ("مركز الخدمة", "Service centre"),
    "ministry_office": ("مكتب الجهة", "Ministry office"),
}


def pick(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    pair = table.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def translator(lang: str) -> "Translator":
    return Translator(lang)


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str) -> str:
        return pick(TEXT, key, self.lang)

    def status(self, key: str) -> str:
        return pick(STATUS, key, self.lang)

    def life_event(self, key: str) -> str:
        return pick(LIFE_EVENTS, key, self.lang)

    def maturity(self, key: str) -> str:
        return pick(MATURITY, key, self.lang)

    def channel(self, key: str) -> str:
        return pick(CHANNELS, key, self.lang)
