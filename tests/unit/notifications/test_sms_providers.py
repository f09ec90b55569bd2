"""The SMS provider's HTTP API, as the adapter speaks it, and the development sink."""

import json
from pathlib import Path

import httpx
import pytest

from services.notifications.channels import OutgoingSms, PermanentFailure, ProviderUnavailable
from services.notifications.channels.sms import HttpSmsSender, SmsSink, mask_phone

SMS = OutgoingSms("delivery-1", "+96891234567", "ar", "تمت الموافقة على طلبك")


def create_provider(handler: httpx.MockTransport) -> HttpSmsSender:
    return HttpSmsSender(httpx.AsyncClient(transport=handler), "https://sms.example.om/v1/messages", "s3cret",
                         "OmanGov")


async def test_the_provider_gets_the_documented_json_with_a_bearer_token_and_an_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"id": "prov-77", "status": "accepted"})

    receipt = await create_provider(httpx.MockTransport(answer)).send_sms(SMS)

    [request] = seen
    assert request.method == "POST"
    assert str(request.url) == "https://sms.example.om/v1/messages"
    assert request.headers["authorization"] == "Bearer s3cret"
    assert request.headers["idempotency-key"] == "delivery-1"
    assert json.loads(request.content) == {"to": "+96891234567", "from": "OmanGov", "text": "تمت الموافقة على طلبك",
                                           "language": "ar", "reference": "delivery-1"}
    assert (receipt.reference, receipt.delivered) == ("prov-77", False)


async def test_a_provider_that_says_delivered_makes_the_delivery_delivered() -> None:
    provider = create_provider(httpx.MockTransport(lambda _: httpx.Response(200, json={"id": "p", "status":
                                                                                         "delivered"})))

    assert (await provider.send_sms(SMS)).delivered


@pytest.mark.parametrize("status", [400, 404, 410, 422])
async def test_a_refused_number_or_message_is_permanent(status: int) -> None:
    provider = create_provider(httpx.MockTransport(lambda _: httpx.Response(status, json={"error": "+96891234567"})))

    with pytest.raises(PermanentFailure) as refused:
        await provider.send_sms(SMS)

    assert refused.value.reason == f"http-{status}"


@pytest.mark.parametrize("status", [401, 403, 408, 429, 500, 503])
async def test_our_credentials_throttling_or_a_provider_error_make_the_provider_unavailable(status: int) -> None:
    provider = create_provider(httpx.MockTransport(lambda _: httpx.Response(status)))

    with pytest.raises(ProviderUnavailable, match=f"http-{status}"):
        await provider.send_sms(SMS)


async def test_a_provider_that_cannot_be_reached_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ProviderUnavailable, match="connection-refused"):
        await create_provider(httpx.MockTransport(refuse)).send_sms(SMS)


async def test_the_sink_keeps_the_message_with_the_number_masked(tmp_path: Path) -> None:
    sink = SmsSink(tmp_path / "sms")

    receipt = await sink.send_sms(SMS)

    [kept] = sink.messages
    [written] = (tmp_path / "sms").glob("*.json")
    record = json.loads(written.read_text(encoding="utf-8"))
    assert receipt.delivered
    assert kept.to_masked == "+968•••••567"
    assert record["text"] == "تمت الموافقة على طلبك"
    assert record["to"] == "+968•••••567"
    assert "91234567" not in written.read_text(encoding="utf-8")


def test_a_masked_number_keeps_only_the_country_code_and_last_three_digits() -> None:
    assert mask_phone("+96891234567") == "+968•••••567"
    assert mask_phone("123") == "•••"
