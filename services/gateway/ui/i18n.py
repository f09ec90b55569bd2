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
    "matched_because": ("ظهرت لأنها تطابق", "Matched because of"),
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
    "track_hint": ("مثلاً: ROP-2026-000042-8", "For example: ROP-2026-000042-8"),
    "track_find": ("ابحث عن الطلب", "Find the request"),
    "malformed": ("أدخل رقم التتبّع بالشكل ROP-2026-000042-8: الجهة، السنة، الرقم، حرف التحقق.",
                  "Enter a tracking number like ROP-2026-000042-8: ministry, year, number, check character."),
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
    "next_services": ("ما يحتاجه أغلب الناس بعد هذه الخدمة", "What most people need after this service"),
    "dismiss_suggestion": ("لا أحتاجها: أخفِ الاقتراح", "Not for me: dismiss"),
    "suggestion_notices": ("إشعار بالخدمات التي قد تحتاجها", "Notices of services you may need"),
    "suggestion_notices_on": ("نُشعرك مرة واحدة بكل خدمة طلبها بعدُ أغلب من أنجزوا طلباً مثل طلبك.",
                              "We tell you once of each service most people needed after a request like yours."),
    "suggestion_notices_off": ("لن نُشعرك بالخدمات المقترحة؛ تبقى ظاهرة هنا فقط.",
                               "We do not send you notices of suggested services; they only appear here."),
    "suggestion_notices_turn_on": ("أشعرني بالخدمات التي قد أحتاجها", "Tell me about services I may need"),
    "suggestion_notices_turn_off": ("أوقف إشعارات الخدمات المقترحة", "Stop notices of suggested services"),
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
    "bad_phone": ("أدخل رقم هاتف صحيحاً، مثل 9123 4567 أو ‎+968 9123 4567‎، ورقم غير عُماني مع رمز بلده",
                  "Enter a phone number, like 9123 4567 or +968 9123 4567; a number abroad with its country code"),
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
    "form_already_sent": ("أُرسل هذا النموذج من قبل بإجابات أخرى. افتح النموذج من جديد لتقديم طلب جديد.",
                          "This form was already sent with other answers. Open the form again to apply anew."),
    "not_found": ("الصفحة غير موجودة", "Page not found"),
    "not_found_detail": ("لم نجد ما تبحث عنه. تحقّق من العنوان.", "We could not find that page. Check the address."),
    "error": ("حدث خطأ", "Something went wrong"),
    "back_home": ("العودة إلى الرئيسية", "Back to the home page"),
    "too_many": ("طلبات كثيرة. انتظر قليلاً ثم حاول مجدداً.", "Too many requests. Wait a moment and try again."),
    "mark_read": ("تعليم الكل كمقروء", "Mark all as read"),
    "footer": ("سلطنة عُمان — بوابة الخدمات الحكومية", "Sultanate of Oman — government services portal"),
    # Issue #8: documents, proactive offers, expected completion, answering the ministry, rating.
    "my_documents": ("مستنداتي الصادرة", "My issued documents"),
    "no_documents": ("لا توجد مستندات صادرة مسجّلة لك بعد.", "No issued documents are recorded for you yet."),
    "document": ("المستند", "Document"),
    "document_number": ("الرقم", "Number"),
    "expires_on": ("تاريخ الانتهاء", "Expires on"),
    "days_left": ("الأيام المتبقية", "Days left"),
    "no_expiry": ("لا ينتهي", "Does not expire"),
    "expired": ("منتهي الصلاحية", "Expired"),
    "offers": ("تجديدات وخدمات مقترحة لك", "Renewals and suggestions for you"),
    "no_offers": ("لا توجد تجديدات أو اقتراحات الآن.", "There are no renewals or suggestions right now."),
    "offer_renewal": ("تنتهي صلاحية {document} رقم {number} بتاريخ {expires}؛ قدّم طلب التجديد الآن",
                      "Your {document} {number} expires on {expires}; renew it now"),
    "offer_life_event": ("بمناسبة: {event}. قد تحتاج هذه الخدمة أيضاً.",
                         "Because of this life event ({event}), you may need this service too."),
    "submit_renewal": ("أرسل طلب التجديد", "Submit the renewal"),
    "renew_now": ("جدّد الآن", "Renew now"),
    "submit_offer": ("أرسل الطلب", "Submit the request"),
    "dismiss": ("لا أحتاجه الآن: أخفِ هذا", "Not needed: dismiss"),
    "prefilled": ("عبّأنا لك هذه البيانات", "We filled these in for you"),
    "missing_intro": ("نحتاج منك فقط ما يلي:", "We only need the following from you:"),
    "proactive": ("العروض الاستباقية", "Proactive offers"),
    "proactive_on": ("نذكّرك قبل انتهاء مستنداتك ونقترح عليك الخدمات التي تتبع مناسبات حياتك.",
                     "We remind you before your documents expire and suggest the services that usually follow."),
    "proactive_off": ("أوقفت العروض الاستباقية: لن نذكّرك بالتجديد ولن نقترح خدمات.",
                      "Proactive offers are off: we will not remind you to renew or suggest services."),
    "proactive_turn_off": ("أوقف العروض الاستباقية", "Turn proactive offers off"),
    "proactive_turn_on": ("فعّل العروض الاستباقية", "Turn proactive offers on"),
    "offer_gone": ("لم يعد هذا العرض متاحاً.", "This offer is no longer available."),
    "expected_completion": ("الموعد المتوقع للإنجاز", "Expected completion"),
    "action_note": ("ملاحظة الجهة المختصة", "The ministry's note"),
    "fields_to_correct": ("ما تطلب الجهة تصحيحه", "What the ministry asks you to correct"),
    "respond_heading": ("أرسل ما طلبته الجهة", "Send what the ministry asked for"),
    "respond_note": ("رسالتك إلى الجهة", "Your message to the ministry"),
    "respond_submit": ("أرسل الرد", "Send your answer"),
    "rate": ("قيّم الخدمة", "Rate the service"),
    "rating_question": ("ما مدى رضاك عن هذه الخدمة؟", "How satisfied are you with this service?"),
    "comment": ("تعليقك", "Your comment"),
    "comment_hint": ("ما الذي أعجبك أو ما الذي يمكن تحسينه؟ لا تكتب بيانات شخصية.",
                     "What went well, or what could be better? Do not include personal details."),
    "rating_submit": ("أرسل التقييم", "Send your rating"),
    "rating_thanks": ("شكراً لتقييمك", "Thank you for your rating"),
    "rating_thanks_detail": ("يساعدنا رأيك على تحسين الخدمات الحكومية.",
                             "Your answer helps us improve government services."),
    "already_rated": ("لقد قيّمت هذه الخدمة من قبل. شكراً لك.", "You have already rated this service. Thank you."),
    "not_ratable": ("يمكنك تقييم الخدمة بعد اكتمال طلبك.", "You can rate the service once your request is complete."),
    "your_rating": ("تقييمك", "Your rating"),
    "out_of_5": ("من 5", "out of 5"),
    "bad_score": ("اختر تقييماً من 1 إلى 5", "Choose a rating from 1 to 5"),
    "back_to_request": ("العودة إلى الطلب", "Back to the request"),
    "reload_for_action": ("تغيّر طلبك: حدّث الصفحة للرد على الجهة أو لتقييم الخدمة.",
                          "Your request changed: refresh the page to answer the ministry or rate the service."),
    # The public performance page.
    "performance": ("أداء الخدمات", "Service performance"),
    "performance_intro": ("كيف تؤدي الخدمات الحكومية: كم شخصاً يستخدمها، وكم تستغرق، ومدى رضا الناس عنها. "
                          "هذه الأرقام متاحة للجميع للاطلاع والتنزيل.",
                          "How government services perform: how many people use them, how long they take and how "
                          "satisfied people are. Anyone can read and download these figures."),
    "filters": ("اختر ما تريد عرضه", "Choose what to show"),
    "all_ministries": ("كل الجهات", "All ministries"),
    "service": ("الخدمة", "Service"),
    "all_services": ("كل الخدمات", "All services"),
    "period_from": ("من تاريخ", "From"),
    "period_to": ("إلى تاريخ", "To"),
    "show": ("اعرض", "Show"),
    "period": ("الفترة", "Period"),
    "date_hint": ("بالشكل سنة-شهر-يوم، مثل 2026-01-31", "As year-month-day, for example 2026-01-31"),
    "bad_period": ("يجب أن يكون تاريخ البداية قبل تاريخ النهاية", "The start date must be before the end date"),
    "totals": ("الأرقام الإجمالية", "Totals"),
    "no_data": ("لا بيانات", "No data"),
    "by_service": ("حسب الخدمة", "By service"),
    "chart_data": ("بيانات الرسم", "The chart's data"),
    "chart_alt": ("رسم بأعمدة أفقية؛ القيم نفسها في الجدول التالي.",
                  "Horizontal bar chart; the same values are in the table that follows."),
    "definitions": ("ماذا تعني هذه الأرقام", "What these figures mean"),
    "open_data": ("البيانات المفتوحة", "Open data"),
    "open_data_intro": ("نزّل الأرقام لكل خدمة، برخصة مفتوحة:",
                        "Download the figures for each service, openly licensed:"),
    "kpis_csv": ("مؤشرات الأداء بصيغة CSV", "Performance figures as CSV"),
    "kpis_json": ("مؤشرات الأداء بصيغة JSON", "Performance figures as JSON"),
    "generated_at": ("آخر تحديث", "Last updated"),
    "no_services": ("لا توجد بيانات لهذا الاختيار.", "There are no figures for this choice."),
    "requests_count": ("طلبات", "requests"),
    "responses": ("إجابات", "answers"),
}

KPIS: dict[str, tuple[str, str]] = {
    "started": ("الطلبات المقدّمة", "Requests started"),
    "completed": ("الطلبات المكتملة", "Requests completed"),
    "completion_rate": ("نسبة الإكمال", "Completion rate"),
    "median_processing_days": ("الوسيط لمدة الإنجاز (أيام)", "Median time to complete (days)"),
    "p90_processing_days": ("مدة إنجاز 90% من الطلبات (أيام)", "Time within which 90% are done (days)"),
    "sla_met_rate": ("الالتزام بالموعد المستهدف", "Decided on time"),
    "csat": ("رضا المستخدمين", "User satisfaction"),
    "mean_score": ("متوسط التقييم (من 5)", "Average rating (out of 5)"),
    "digital_take_up": ("الإقبال على القناة الرقمية", "Digital take-up"),
    "cost_per_transaction_omr": ("تكلفة المعاملة (ر.ع.)", "Cost per transaction (OMR)"),
    "estimated_saving_omr": ("الوفر التقديري (ر.ع.)", "Estimated saving (OMR)"),
}

# Each KPI in plain words, for the public page.
KPI_DEFINITIONS: dict[str, tuple[str, str]] = {
    "completion_rate": ("من بين الطلبات المقدّمة في الفترة والتي انتهت، نسبة التي اكتملت بدل أن تُلغى.",
                        "Of the requests started in the period that ended, the share that were completed rather "
                        "than cancelled."),
    "median_processing_days": ("نصف الطلبات المكتملة في الفترة أُنجز في هذه المدة أو أقل، من التقديم إلى الإكمال.",
                               "Half of the requests completed in the period took this long or less, from "
                               "submission to completion."),
    "sla_met_rate": ("من الطلبات التي قُبلت أو رُفضت في الفترة، نسبة التي بُتّ فيها قبل الموعد المستهدف للخدمة.",
                     "Of the requests approved or rejected in the period, the share decided by the service's "
                     "target date."),
    "csat": ("من التقييمات المقدّمة في الفترة، نسبة من أعطوا 4 أو 5 من 5.",
             "Of the ratings given in the period, the share that were 4 or 5 out of 5."),
    "digital_take_up": ("من كل المعاملات المكتملة، نسبة التي تمّت عبر البوابة بدل مراكز الخدمة أو المكاتب أو "
                        "الهاتف أو البريد.",
                        "Of all completed transactions, the share done through this portal rather than at a service "
                        "centre, an office, by phone or by post."),
    "cost_per_transaction_omr": ("متوسط تكلفة المعاملة الواحدة على الجهة، بحسب تقدير تكلفة القناة الرقمية "
                                 "والقنوات الأخرى.",
                                 "What one transaction costs the ministry on average, from its estimated cost "
                                 "online and through other channels."),
    "estimated_saving_omr": ("ما وُفّر تقديرياً لأن المعاملات تمّت عبر الإنترنت بدل القنوات الأخرى.",
                             "What was saved, as estimated, because transactions were done online instead of "
                             "through other channels."),
}

DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    "driving_licence": ("رخصة القيادة", "driving licence"), "passport": ("جواز السفر", "passport"),
    "civil_id": ("البطاقة الشخصية", "civil ID card"), "vehicle_registration": ("ملكية المركبة", "vehicle registration"),
    "birth_certificate": ("شهادة الميلاد", "birth certificate"),
    "vehicle_ownership": ("ملكية مركبة جديدة", "new vehicle"),
    "residence_permit": ("بطاقة الإقامة", "residence permit"),
    "commercial_registration": ("السجل التجاري", "commercial registration"),
    "health_card": ("البطاقة الصحية", "health card"),
}

SCORES: dict[str, tuple[str, str]] = {
    "1": ("1 — غير راضٍ إطلاقاً", "1 — very dissatisfied"), "2": ("2 — غير راضٍ", "2 — dissatisfied"),
    "3": ("3 — محايد", "3 — neither satisfied nor dissatisfied"), "4": ("4 — راضٍ", "4 — satisfied"),
    "5": ("5 — راضٍ جداً", "5 — very satisfied"),
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

    def document(self, key: str | None) -> str:
        return pick(DOCUMENT_TYPES, key or "", self.lang).replace("_", " ")

    def kpi(self, key: str) -> str:
        return pick(KPIS, key, self.lang)

    def kpi_definition(self, key: str) -> str:
        return pick(KPI_DEFINITIONS, key, self.lang)

    def score(self, key: int | str) -> str:
        return pick(SCORES, str(key), self.lang)
