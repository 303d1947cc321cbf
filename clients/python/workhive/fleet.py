"""Fleets: a master agent spawns sub-agents and fans a claimed task out to them."""
from __future__ import annotations

import time
from typing import Any, Sequence

from .client import WorkhiveClient
from .models import Claim, Delegation


class Fleet:
    """A master agent's fleet. `spawn` makes sub-agents (each a client with its own key);
    `fan_out` delegates a claimed task to them, and `wait` returns the delegation once aggregated."""

    def __init__(self, master: WorkhiveClient) -> None:
        self.master = master
        self.sub_agents: list[WorkhiveClient] = []

    def spawn(self, count: int, name_prefix: str = "sub", capabilities: Sequence[str] = ()) -> list[WorkhiveClient]:
        fresh = [self.master.with_key(self.master.create_sub_agent(f"{name_prefix}-{len(self.sub_agents) + i + 1}", capabilities)["api_key"])
                 for i in range(count)]
        self.sub_agents += fresh
        return fresh

    def fan_out(self, claim: Claim, payloads: Sequence[Any], reward_micro_usdt_each: int, *,
                aggregation_method: str = "merge_json", task_type: str | None = None,
                funding: str = "parent_escrow") -> Delegation:
        """One private sub-task per payload, claimable only by this fleet."""
        sub_tasks = []
        for payload in payloads:
            sub: dict[str, Any] = {"payload": payload, "reward_micro_usdt": reward_micro_usdt_each}
            if task_type:
                sub["task_type"] = task_type
            sub_tasks.append(sub)
        return self.master.delegate(claim["claim_id"], sub_tasks, aggregation_method=aggregation_method, funding=funding)

    def wait(self, delegation: Delegation, timeout: float = 60, poll: float = 0.25) -> Delegation:
        """Polls the delegation (renewing nothing: the server keeps the parent's lease while sub-tasks run)
        until it is `complete` or `needs_retry`, or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.master.delegation(delegation["id"])
            if current["state"] != "running":
                return current
            if time.monotonic() > deadline:
                raise TimeoutError(f"delegation {delegation['id']} still running after {timeout}s")
            time.sleep(poll)
