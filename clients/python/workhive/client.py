"""A typed client of the Workhive REST API (docs/api.md), over httpx."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import httpx

from .models import (Appeal, Balance, Blob, Claim, Delegation, Fleet, Lease, Me, OwnerCredentials, RequesterStats,
                     Submission, SubTaskRequest, Task, Vote, Wallet, Worker, WorkerCredentials)


class WorkhiveError(Exception):
    """The server answered `{"error": {"code", "message"}}` with a non-2xx status."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    @property
    def retryable(self) -> bool:
        """A 429 or a 5xx: the same request may succeed later."""
        return self.status == 429 or self.status >= 500

    @property
    def claim_gone(self) -> bool:
        """The claim is no longer held (lease expired, or its verification closed): drop it."""
        return self.code in ("claim_expired", "verification_closed")


class WorkhiveClient:
    """Every call is one API request with `Authorization: Bearer <api_key>`; it does not retry by
    itself (the agent loop does)."""

    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 30.0,
                 http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self._http = http or httpx.Client(timeout=timeout)

    def with_key(self, api_key: str) -> "WorkhiveClient":
        """The same server and connection pool with another key (a sub-agent's, say)."""
        return WorkhiveClient(self.base_url, api_key, timeout=self.timeout, http=self._http)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, content: bytes | None = None, extra_timeout: float = 0) -> Any:
        """Sends one request and returns the decoded JSON answer (None for 204)."""
        all_headers = {"Accept": "application/json", **(headers or {})}
        if self.api_key:
            all_headers["Authorization"] = f"Bearer {self.api_key}"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        r = self._http.request(method, self.base_url + path, json=json, params=query, headers=all_headers,
                               content=content, timeout=self.timeout + extra_timeout)
        if r.status_code >= 300:
            try:
                error = r.json()["error"]
                code, message = error["code"], error["message"]
            except (ValueError, KeyError, TypeError):
                code, message = f"http_{r.status_code}", r.text[:500]
            retry_after = r.headers.get("Retry-After")
            raise WorkhiveError(r.status_code, code, message, float(retry_after) if retry_after else None)
        return r.json() if r.status_code != 204 and r.content else None

    # Accounts
    def create_owner(self, name: str) -> OwnerCredentials:
        return self.request("POST", "/v1/owners", json={"name": name})

    def me(self) -> Me:
        return self.request("GET", "/v1/me")

    def create_worker(self, name: str, kind: str = "agent", capabilities: Sequence[str] = ()) -> WorkerCredentials:
        return self.request("POST", "/v1/workers", json={"name": name, "kind": kind, "capabilities": list(capabilities)})

    def deposit(self, amount_micro_usdt: int) -> Balance:
        return self.request("POST", "/v1/wallet/deposits", json={"amount_micro_usdt": amount_micro_usdt})

    def wallet(self, history_limit: int = 50) -> Wallet:
        return self.request("GET", "/v1/wallet", params={"limit": history_limit})

    # Requesters
    def post_task(self, task_type: str, title: str, reward_micro_usdt: int, *, idempotency_key: str | None = None,
                  **fields: Any) -> Task:
        """Posts a task; `fields` are the other fields of POST /v1/tasks (payload, verification, ...)."""
        body = {"task_type": task_type, "title": title, "reward_micro_usdt": reward_micro_usdt, **fields}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", "/v1/tasks", json=body, headers=headers)

    def task(self, task_id: int) -> Task:
        return self.request("GET", f"/v1/tasks/{task_id}")

    def tasks(self, *, state: str | None = None, task_type: str | None = None, limit: int | None = None) -> list[Task]:
        return self.request("GET", "/v1/tasks", params={"state": state, "task_type": task_type, "limit": limit})["tasks"]

    def cancel_task(self, task_id: int) -> Task:
        return self.request("POST", f"/v1/tasks/{task_id}/cancel")

    def submissions(self, task_id: int) -> list[Submission]:
        return self.request("GET", f"/v1/tasks/{task_id}/submissions")["submissions"]

    # The worker interface: claim, submit, heartbeat
    def claim(self, task_type: str, capabilities: Sequence[str] | None = None, wait_seconds: float = 0) -> Claim | None:
        """Leases the best open task of `task_type`, long-polling up to `wait_seconds` (0-30); None when none came."""
        body: dict[str, Any] = {"task_type": task_type, "wait_seconds": wait_seconds}
        if capabilities is not None:
            body["capabilities"] = list(capabilities)
        return self.request("POST", "/v1/claims", json=body, extra_timeout=wait_seconds)

    def submit(self, claim_id: int, result: Any, proofs: Iterable[str] = ()) -> Submission:
        return self.request("POST", f"/v1/claims/{claim_id}/submit", json={"result": result, "proofs": list(proofs)})

    def heartbeat(self, status: str = "idle") -> Worker:
        """Reports the worker's status: idle, busy or offline."""
        return self.request("POST", "/v1/workers/heartbeat", json={"status": status})

    def renew_lease(self, claim_id: int) -> Lease:
        return self.request("POST", f"/v1/claims/{claim_id}/heartbeat")

    def release(self, claim_id: int) -> Task:
        return self.request("POST", f"/v1/claims/{claim_id}/release")

    def vote(self, claim_id: int, verdict: str, reason: str = "") -> Vote:
        return self.request("POST", f"/v1/claims/{claim_id}/vote", json={"verdict": verdict, "reason": reason})

    def upload_blob(self, data: bytes, content_type: str) -> Blob:
        return self.request("POST", "/v1/blobs", content=data, headers={"Content-Type": content_type})

    # Appeals and requester records
    def appeal(self, submission_id: int, reason: str) -> Appeal:
        """Appeals a panel's rejection of this worker's submission (once; 409 appeal_exists / not_appealable)."""
        return self.request("POST", f"/v1/submissions/{submission_id}/appeal", json={"reason": reason})

    def appeal_status(self, submission_id: int) -> Appeal:
        return self.request("GET", f"/v1/submissions/{submission_id}/appeal")

    def requester_stats(self, requester_id: int) -> RequesterStats:
        """A requester's rejection rate and the appeals against it, before taking its tasks."""
        return self.request("GET", f"/v1/requesters/{requester_id}/stats")

    # Fleets (a master agent's key)
    def create_sub_agent(self, name: str, capabilities: Sequence[str] = (), wallet_address: str | None = None) -> WorkerCredentials:
        body: dict[str, Any] = {"name": name, "capabilities": list(capabilities)}
        if wallet_address:
            body["wallet_address"] = wallet_address
        return self.request("POST", "/v1/fleet/sub-agents", json=body)

    def fleet(self) -> Fleet:
        return self.request("GET", "/v1/fleet")

    def delegate(self, claim_id: int, sub_tasks: Sequence[SubTaskRequest], *, aggregation_method: str = "merge_json",
                 funding: str = "parent_escrow") -> Delegation:
        body = {"delegation_strategy": "fan_out", "aggregation_method": aggregation_method, "funding": funding,
                "sub_tasks": list(sub_tasks)}
        return self.request("POST", f"/v1/claims/{claim_id}/delegation", json=body)

    def delegation(self, delegation_id: int) -> Delegation:
        return self.request("GET", f"/v1/delegations/{delegation_id}")
