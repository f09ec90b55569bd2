"""Signing out ends the session there and then: the old cookie or token opens nothing afterwards."""

from tests.unit.gateway.conftest import Portal, csrf_of


async def test_after_signing_out_the_old_session_cookie_opens_nothing(portal: Portal) -> None:
    await portal.browser_sign_in()
    session = portal.client.cookies["portal_session"]
    assert (await portal.client.get("/dashboard")).status_code == 200
    page = await portal.client.get("/dashboard")
    signed_out = await portal.client.post("/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert signed_out.status_code == 303 and "portal_session" not in portal.client.cookies

    portal.client.cookies.set("portal_session", session)  # kept, or copied off the machine before sign-out
    again = await portal.client.get("/dashboard")
    assert again.status_code == 303 and again.headers["location"].startswith("/sign-in")
    api = await portal.client.get("/api/v1/requests", headers={"Authorization": f"Bearer {session}"})
    assert api.status_code == 401


async def test_signing_out_leaves_other_sessions_of_the_same_citizen_alone(portal: Portal) -> None:
    phone = await portal.sign_in()
    await portal.browser_sign_in()
    page = await portal.client.get("/dashboard")
    await portal.client.post("/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert (await portal.client.get("/api/v1/requests", headers=phone)).status_code == 200


async def test_signing_out_twice_or_without_a_session_is_harmless(portal: Portal) -> None:
    await portal.browser_sign_in()
    page = await portal.client.get("/sign-in")
    for _ in range(2):
        response = await portal.client.post("/sign-out", data={"csrf_token": csrf_of(page.text)})
        assert (response.status_code, response.headers["location"]) == (303, "/")
    assert (await portal.client.get("/dashboard")).status_code == 303
