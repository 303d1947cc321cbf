import pytest

from live_server import LiveServer


@pytest.fixture(scope="module")
def server():
    live = LiveServer("--a2a-skill", "image.label", "--a2a-skill", "general")
    yield live
    live.stop()
