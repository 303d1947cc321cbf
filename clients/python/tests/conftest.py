import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "clients/python"))
sys.path.insert(0, str(ROOT / "Tests/interop"))

from live_server import LiveServer  # noqa: E402


@pytest.fixture(scope="module")
def server():
    live = LiveServer()
    yield live
    live.stop()
