from collections.abc import Iterator

import pytest

from tests.integration.notifications.support import RecordingSms, SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def sms() -> RecordingSms:
    return RecordingSms()
