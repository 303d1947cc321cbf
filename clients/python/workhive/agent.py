"""The agent loop: claim → work (with heartbeats) → submit, with backoff on errors."""
from __future__ import annotations

import logging
import random
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import httpx

from .client import WorkhiveClient, WorkhiveError
from .models import Claim, Task

log = logging.getLogger("workhive.agent")


class Worker(ABC):
    """What an agent does with a task. Set `task_type` (and `capabilities`), implement `work`."""

    task_type: str = ""
    capabilities: Sequence[str] | None = None

    @abstractmethod
    def work(self, task: Task, claim: Claim) -> Any:
        """Does the task and returns its result (any JSON value), or `Result(value, proofs)`."""


@dataclass
class Result:
    """A result with proofs: SHA-256 hashes of blobs uploaded with `WorkhiveClient.upload_blob`."""
    value: Any
    proofs: Sequence[str] = ()


@dataclass
class Backoff:
    """Exponential backoff with full jitter; a server's Retry-After wins when it says more."""
    initial: float = 0.5
    maximum: float = 30.0
    multiplier: float = 2.0
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self, retry_after: float | None = None) -> float:
        ceiling = min(self.maximum, self.initial * self.multiplier ** self.failures)
        self.failures += 1
        delay = self.rng.uniform(ceiling / 2, ceiling)
        return max(delay, retry_after or 0)

    def reset(self) -> None:
        self.failures = 0


class AgentRunner:
    """Runs a `Worker` against the marketplace: long-poll claims, heartbeat the lease while working
    (every third of the task's lease time), submit, and back off on 429, 5xx and network errors."""

    def __init__(self, client: WorkhiveClient, worker: Worker, *, wait_seconds: float = 20,
                 backoff: Backoff | None = None, sleep: Callable[[float], Any] | None = None) -> None:
        self.client, self.worker, self.wait_seconds = client, worker, wait_seconds
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.completed: list[int] = []
        self.lease_renewals = 0

    def run(self, max_tasks: int | None = None, stop: threading.Event | None = None) -> list[int]:
        """Works tasks until `max_tasks` were submitted or `stop` is set; returns the task ids submitted."""
        stop = stop or threading.Event()
        while not stop.is_set() and (max_tasks is None or len(self.completed) < max_tasks):
            try:
                self.run_once()
                self.backoff.reset()
            except (WorkhiveError, httpx.TransportError) as error:
                if isinstance(error, WorkhiveError) and not error.retryable:
                    raise
                delay = self.backoff.next_delay(getattr(error, "retry_after", None))
                log.warning("backing off %.1fs after %s", delay, error)
                (self.sleep or stop.wait)(delay)
        self._report("idle")
        return self.completed

    def run_once(self) -> int | None:
        """Claims one task (waiting for one), works it and submits; returns its id, or None when none came."""
        claim = self.client.claim(self.worker.task_type, self.worker.capabilities, self.wait_seconds)
        if claim is None:
            return None
        self._report("busy")
        task = claim["task"]
        stop_heartbeats = threading.Event()
        beats = threading.Thread(target=self._heartbeat, args=(claim, stop_heartbeats), daemon=True)
        beats.start()
        try:
            outcome = self.worker.work(task, claim)
        except Exception:
            log.exception("task %s failed; releasing it", task["id"])
            stop_heartbeats.set()
            self.client.release(claim["claim_id"])
            return None
        finally:
            stop_heartbeats.set()
            beats.join()
        result = outcome if isinstance(outcome, Result) else Result(outcome)
        try:
            self.client.submit(claim["claim_id"], result.value, result.proofs)
        except WorkhiveError as error:
            if error.claim_gone:
                log.warning("claim %s is gone (%s); dropping task %s", claim["claim_id"], error.code, task["id"])
                return None
            raise
        self.completed.append(task["id"])
        return task["id"]

    def _heartbeat(self, claim: Claim, stop: threading.Event) -> None:
        interval = max(1.0, claim["task"]["lease_seconds"] / 3)
        while not stop.wait(interval):
            try:
                self.client.renew_lease(claim["claim_id"])
                self.lease_renewals += 1
            except WorkhiveError as error:
                if error.claim_gone:
                    return
                log.warning("lease renewal failed: %s", error)
            except httpx.TransportError as error:
                log.warning("lease renewal failed: %s", error)

    def _report(self, status: str) -> None:
        try:
            self.client.heartbeat(status)
        except (WorkhiveError, httpx.TransportError) as error:
            log.debug("status report failed: %s", error)
