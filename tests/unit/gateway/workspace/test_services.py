"""The service manager's form designer and readiness survey, without JavaScript: every button posts the form."""

from typing import Any

from tests.unit.gateway.workspace.conftest import Workspace

SLUG = "issue-disability-card"


def designer_form(fields: list[dict[str, Any]], maturity: str = "semi_electronic", op: str = "",
                  version: str = "1") -> list[tuple[str, str]]:
    data = [("count", str(len(fields))), ("maturity", maturity), ("op", op), ("latest_version", version)]
    for i, spec in enumerate(fields):
        for key, value in spec.items():
            if key == "required":
                if value:
                    data.append((f"f{i}-required", "true"))
            else:
                data.append((f"f{i}-{key}", str(value)))
    return data


def field(name: str, kind: str = "text", **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, "label_ar": f"حقل {name}", "label_en": f"Field {name}", "help_ar": "",
            "help_en": "", "required": True, "choices": "", "min_length": "", "max_length": "", "minimum": "",
            "maximum": ""} | extra


async def test_the_designer_shows_the_current_form_and_a_preview_in_both_languages(workspace: Workspace) -> None:
    await workspace.sign_in("manager")
    page = await workspace.client.get(f"/workspace/services/{SLUG}", params={"lang": "en"})
    assert page.status_code == 200
    assert 'value="person_civil_number"' in page.text and 'name="count" value="3"' in page.text
    assert 'lang="ar" dir="rtl" id="preview-ar"' in page.text and 'lang="en" dir="ltr" id="preview-en"' in page.text
    assert "نوع الإعاقة" in page.text and "Choose one" in page.text and "اختر واحداً" in page.text


async def test_fields_are_added_moved_and_removed_with_buttons_and_nothing_is_published_meanwhile(
        workspace: Workspace) -> None:
    await workspace.sign_in("manager")
    fields = [field("first"), field("second"), field("third")]
    moved = await workspace.post(f"/workspace/services/{SLUG}", designer_form(fields, op="up:2"))
    assert moved.status_code == 200
    text = moved.text
    assert text.index('value="first"') < text.index('value="third"') < text.index('value="second"')
    removed = await workspace.post(f"/workspace/services/{SLUG}", designer_form(fields, op="remove:0"))
    assert 'value="first"' not in removed.text and 'name="count" value="2"' in removed.text
    added = await workspace.post(f"/workspace/services/{SLUG}", designer_form(fields, op="add"))
    assert 'name="count" value="4"' in added.text and 'value="field_4"' in added.text
    assert workspace.fakes.writes() == []


async def test_publishing_puts_the_whole_service_with_the_new_form_as_a_new_version(workspace: Workspace) -> None:
    await workspace.sign_in("manager")
    fields = [field("full_name", min_length="3", max_length="80", help_ar="كما في البطاقة", help_en="As on the card"),
              field("children", "number", minimum="0", maximum="20", required=False),
              field("region", "choice", choices="muscat\ndhofar")]
    response = await workspace.post(f"/workspace/services/{SLUG}", designer_form(fields, op="publish"))
    assert response.status_code == 303 and response.headers["location"] == f"/workspace/services/{SLUG}?published=2"
    put = workspace.fakes.writes()[-1]
    assert put.method == "PUT" and put.path == f"/api/v1/ministry/services/{SLUG}" and put.params == {"publish": "true"}
    assert put.identity is not None and put.identity.role == "service_manager" and put.identity.ministry == "mosd"
    assert put.body["title"] == {"ar": "إصدار بطاقة إعاقة", "en": "Issue a disability card"}
    assert put.body["form"] == [
        {"name": "full_name", "kind": "text", "label": {"ar": "حقل full_name", "en": "Field full_name"},
         "required": True, "choices": [], "help": {"ar": "كما في البطاقة", "en": "As on the card"},
         "min_length": 3, "max_length": 80},
        {"name": "children", "kind": "number", "label": {"ar": "حقل children", "en": "Field children"},
         "required": False, "choices": [], "minimum": 0, "maximum": 20},
        {"name": "region", "kind": "choice", "label": {"ar": "حقل region", "en": "Field region"}, "required": True,
         "choices": ["muscat", "dhofar"]},
    ]
    page = await workspace.client.get(response.headers["location"] + "&lang=en")
    assert "Version 2 of the service is published." in page.text


async def test_digitising_a_manual_service_publishes_it_online_and_shows_the_date(workspace: Workspace) -> None:
    await workspace.sign_in("manager")
    response = await workspace.post("/workspace/services/book-counselling",
                                    designer_form([field("topic")], maturity="electronic", op="publish"))
    assert response.status_code == 303
    put = workspace.fakes.writes()[-1]
    assert put.body["maturity"] == "electronic" and put.body["channels"][0] == {"kind": "online"}
    page = await workspace.client.get("/workspace/services/book-counselling")
    assert 'datetime="2026-11-23"' in page.text


async def test_mistakes_in_the_designer_are_listed_and_nothing_is_published(workspace: Workspace) -> None:
    await workspace.sign_in("manager")
    fields = [field("Bad Name"), field("dup"), field("dup", "choice", label_en="", min_length="9", max_length="2")]
    response = await workspace.post(f"/workspace/services/{SLUG}?lang=en", designer_form(fields, op="publish"))
    assert response.status_code == 422
    for key in ("f0-name", "f2-name", "f2-label_en", "f2-choices"):
        assert f'id="field-{key}-error"' in response.text, key
    assert 'class="error-summary"' in response.text and 'href="#field-f0-name"' in response.text
    assert workspace.fakes.writes() == []


async def test_the_readiness_survey_is_answered_and_its_score_shown(workspace: Workspace) -> None:
    await workspace.sign_in("manager")
    page = await workspace.client.get(f"/workspace/services/{SLUG}/readiness", params={"lang": "en"})
    assert page.status_code == 200 and "Not answered yet." in page.text
    answers = {"procedure_documented": "true", "steps_standardised": "false", "legal_basis_allows_digital": "true",
               "staff_trained": "true", "documents_digital_percent": "40", "evidence_from_registries": "false",
               "has_case_system": "true", "has_api": "false", "e_payment_ready": "true", "volume_per_year": "12000",
               "manual_cost_omr": "4.5", "digital_cost_omr": "0.750"}
    response = await workspace.post(f"/workspace/services/{SLUG}/readiness", answers)
    assert response.status_code == 303
    put = workspace.fakes.writes()[-1]
    assert put.body == {"procedure_documented": True, "steps_standardised": False, "legal_basis_allows_digital": True,
                        "staff_trained": True, "documents_digital_percent": 40, "evidence_from_registries": False,
                        "has_case_system": True, "has_api": False, "e_payment_ready": True, "volume_per_year": 12000,
                        "manual_cost_omr": "4.500", "digital_cost_omr": "0.750"}
    shown = await workspace.client.get(response.headers["location"] + "&lang=en")
    assert "The answers are saved." in shown.text and "52.3" in shown.text


async def test_an_incomplete_readiness_survey_is_not_sent(workspace: Workspace) -> None:
    await workspace.sign_in("manager")
    response = await workspace.post(f"/workspace/services/{SLUG}/readiness", {"volume_per_year": "lots"})
    assert response.status_code == 422 and 'id="field-volume_per_year-error"' in response.text
    assert workspace.fakes.writes() == []


async def test_publishing_over_a_version_someone_else_published_meanwhile_is_refused_and_the_copy_kept(
        workspace: Workspace) -> None:
    await workspace.sign_in("manager")
    first = await workspace.post(f"/workspace/services/{SLUG}", designer_form([field("one")], op="publish"))
    assert first.status_code == 303
    stale = await workspace.post(f"/workspace/services/{SLUG}?lang=en",
                                 designer_form([field("two")], op="publish", version="1"))
    assert stale.status_code == 409 and "Someone else published a new version" in stale.text
    assert 'value="two"' in stale.text
    assert len([c for c in workspace.fakes.writes() if c.method == "PUT"]) == 1
