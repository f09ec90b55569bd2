"""A staff member who signs out of the workspace is out, there and then."""

from tests.unit.gateway.workspace.conftest import Workspace


async def test_after_a_staff_member_signs_out_of_the_workspace_their_cookie_opens_nothing(
        workspace: Workspace) -> None:
    await workspace.sign_in("officer")
    cookie = workspace.client.cookies["portal_staff"]
    assert (await workspace.client.get("/workspace/")).status_code == 200
    signed_out = await workspace.post("/workspace/sign-out", {})
    assert signed_out.status_code == 303

    workspace.client.cookies.set("portal_staff", cookie, path="/workspace")
    again = await workspace.client.get("/workspace/")
    assert again.status_code == 303 and again.headers["location"].startswith("/workspace/sign-in")
    bearer = await workspace.client.get("/api/v1/ministry/requests", headers={"Authorization": f"Bearer {cookie}"})
    assert bearer.status_code == 401
