"""A real `workhive serve` on a free loopback port, and the few REST calls tests make as
requesters, workers and verifiers (plain HTTP, so the protocol under test is the only SDK in play).

The binary is $WORKHIVE_BIN, else the newest `.build*/debug/workhive` of this checkout.
"""
from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import tempfile
import time

import httpx

ROOT = pathlib.Path(__file__).resolve().parents[2]


def workhive_binary() -> str:
    if os.environ.get("WORKHIVE_BIN"):
        return os.environ["WORKHIVE_BIN"]
    built = [p for p in ROOT.glob(".build*/debug/workhive") if os.access(p, os.X_OK)]
    if not built:
        raise RuntimeError("no workhive binary: run `swift build` first or set WORKHIVE_BIN")
    return str(max(built, key=lambda p: p.stat().st_mtime))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`workhive serve` on SQLite in a temporary data directory; stop() ends it."""

    def __init__(self, *extra_args: str) -> None:
        self.port = free_port()
        self.data_dir = tempfile.mkdtemp(prefix="workhive-interop-")
        self.url = f"http://127.0.0.1:{self.port}"
        args = [workhive_binary(), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--data-dir", self.data_dir, "--rate-limit", "0", *extra_args]
        self.log = open(os.path.join(self.data_dir, "server.log"), "wb")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("workhive serve did not start:\n" + pathlib.Path(self.data_dir, "server.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    # REST, as the API documents it.
    def call(self, method: str, path: str, key: str | None = None, json: object = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.request(method, self.url + path, headers=headers, json=json, timeout=40)

    def ok(self, method: str, path: str, key: str | None = None, json: object = None) -> dict:
        r = self.call(method, path, key, json)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else {}

    def requester(self, name: str, funds_micro_usdt: int = 100_000_000) -> str:
        key = self.ok("POST", "/v1/owners", json={"name": name})["api_key"]
        self.ok("POST", "/v1/wallet/deposits", key, {"amount_micro_usdt": funds_micro_usdt})
        return key

    def worker(self, name: str, capabilities: list[str] | None = None) -> str:
        """A worker of an owner of its own (so it may verify others' work)."""
        owner = self.ok("POST", "/v1/owners", json={"name": name + "-owner"})["api_key"]
        body = {"name": name, "kind": "agent", "capabilities": capabilities or []}
        return self.ok("POST", "/v1/workers", owner, body)["api_key"]

    def claim(self, key: str, task_type: str, wait_seconds: float = 20) -> dict | None:
        r = self.call("POST", "/v1/claims", key, {"task_type": task_type, "wait_seconds": wait_seconds})
        assert r.status_code in (201, 204), r.text
        return r.json() if r.status_code == 201 else None
