"""A template's words are recorded with its version: rewording one in the catalogue means raising its version."""

import hashlib
import json

from services.notifications.domain import BY_ID, Template

# Each template's version and a digest of its four texts in both languages. Deliveries record the version they
# used; words changed in notifications.po under the same version would make that record say something untrue.
# After rewording: raise the version in services/notifications/domain/templates.py, then write the new digest here.
RECORDED = {
    "request_status.submitted": (1, "02b8ca035f8be66b"),
    "request_status.received": (1, "1e8b58383a249c48"),
    "request_status.in_review": (1, "87cf032603126c6d"),
    "request_status.action_required": (1, "4f59f92bd9403018"),
    "request_status.approved": (1, "64506b0ee28a671c"),
    "request_status.rejected": (1, "afad4399bdb95fb5"),
    "request_status.completed": (1, "3dbcb0a335d9b31b"),
    "request_status.cancelled": (1, "f732a412e8d8b7bd"),
    "renewal_due": (1, "3997456903f26891"),
    "survey_invited": (1, "46dc5ba375ac9695"),
    "suggestion_offered": (1, "9d931f4995627de5"),
}


def digest(template: Template) -> str:
    words = template.model_dump(include={"status_name", "title", "body", "sms"})
    return hashlib.sha256(json.dumps(words, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def test_each_template_version_says_the_words_recorded_for_it() -> None:
    assert {template_id: (t.version, digest(t)) for template_id, t in BY_ID.items()} == RECORDED
