"""The Python client against a live `workhive serve`: an agent loop works tasks to approval, keeps a
slow task's lease with heartbeats, and a master fans a task out to its fleet."""
import os
import subprocess
import sys
import threading
import time

import pytest

from workhive import AgentRunner, Backoff, Fleet, Result, Worker, WorkhiveClient, WorkhiveError

HERE = os.path.dirname(os.path.abspath(__file__))


def accounts(server, name):
    requester = WorkhiveClient(server.url, server.requester(name))
    worker = WorkhiveClient(server.url, server.worker(name + "-worker"))
    return requester, worker


class Upper(Worker):
    task_type = "py.upper"

    def __init__(self, delay: float = 0) -> None:
        self.delay = delay

    def work(self, task, claim):
        time.sleep(self.delay)
        return Result({"text": task["payload"]["text"].upper()})


def test_the_agent_loop_works_tasks_to_approval_and_is_paid(server):
    requester, worker = accounts(server, "loop")
    posted = [requester.post_task("py.upper", f"upper {i}", 100_000, payload={"text": f"word {i}"},
                                  verification={"verifiers": 0}) for i in range(3)]
    done = AgentRunner(worker, Upper(), wait_seconds=2).run(max_tasks=3)
    assert sorted(done) == sorted(t["id"] for t in posted)
    for task in posted:
        assert requester.task(task["id"])["state"] == "approved"
        [submission] = requester.submissions(task["id"])
        assert submission["result"]["text"] == task["payload"]["text"].upper()
    assert sum(a["balance_micro_usdt"] for a in worker.wallet()["accounts"]) == 300_000
    assert worker.me()["worker"]["status"] == "idle"


def test_heartbeats_keep_a_slow_task_leased(server):
    requester, worker = accounts(server, "slow")
    task = requester.post_task("py.upper", "slow", 50_000, payload={"text": "slow"}, lease_seconds=5,
                               verification={"verifiers": 0})
    runner = AgentRunner(worker, Upper(delay=8), wait_seconds=2)
    assert runner.run(max_tasks=1) == [task["id"]]
    assert runner.lease_renewals >= 3
    assert requester.task(task["id"])["state"] == "approved"
    assert requester.task(task["id"])["attempts"] == 1


def test_backoff_grows_and_honours_retry_after_and_the_loop_survives_an_outage(server):
    b = Backoff(initial=1, maximum=8)
    delays = [b.next_delay() for _ in range(6)]
    assert all(0.5 <= d <= 1 for d in delays[:1]) and all(d <= 8 for d in delays)
    assert b.next_delay(retry_after=20) == 20
    # A server that is not there: the loop backs off (recorded, not slept) until told to stop.
    slept, stop = [], threading.Event()
    gone = WorkhiveClient("http://127.0.0.1:9", "wh_1_x", timeout=1)
    def sleep(delay):
        slept.append(delay)
        if len(slept) == 3:
            stop.set()
    AgentRunner(gone, Upper(), wait_seconds=0, sleep=sleep).run(stop=stop)
    assert len(slept) == 3 and slept[0] <= slept[2] * 2
    # An error that retrying cannot fix is raised.
    _, worker = accounts(server, "refused")
    with pytest.raises(WorkhiveError) as refused:
        worker.post_task("x", "x", 1)
    assert refused.value.code == "forbidden" and not refused.value.retryable


def test_a_master_fans_out_to_its_fleet_and_submits_the_aggregate(server):
    requester, master = accounts(server, "fleet")
    parent = requester.post_task("py.split", "label four images", 1_000_000, payload={"images": [1, 2, 3, 4]},
                                 verification={"verifiers": 0})
    claim = master.claim("py.split", wait_seconds=2)
    fleet = Fleet(master)
    subs = fleet.spawn(2, "labeler")

    class Labeler(Worker):
        task_type = "py.split"
        def work(self, task, claim):
            return {"labels": [f"img{i}:cat" for i in task["payload"]["images"]]}

    delegation = fleet.fan_out(claim, [{"images": [1, 2]}, {"images": [3, 4]}], 200_000, aggregation_method="merge_json")
    threads = [threading.Thread(target=AgentRunner(s, Labeler(), wait_seconds=2).run, kwargs={"max_tasks": 1}) for s in subs]
    for t in threads:
        t.start()
    finished = fleet.wait(delegation, timeout=60)
    for t in threads:
        t.join(30)
    assert finished["state"] == "complete"
    assert sorted(finished["aggregate"]["labels"]) == ["img1:cat", "img2:cat", "img3:cat", "img4:cat"]
    master.submit(claim["claim_id"], finished["aggregate"])
    assert requester.task(parent["id"])["state"] == "approved"
    assert len(master.fleet()["sub_agents"]) == 2


def test_the_example_agent_runs(server):
    requester, _ = accounts(server, "example")
    worker_key = server.worker("example-agent")
    requester.post_task("echo", "hello", 10_000, payload={"n": 1}, verification={"verifiers": 0})
    env = {**os.environ, "WORKHIVE_URL": server.url, "WORKHIVE_API_KEY": worker_key, "MAX_TASKS": "1",
           "PYTHONPATH": os.path.join(HERE, "..")}
    out = subprocess.run([sys.executable, os.path.join(HERE, "../examples/echo_agent.py"), "echo"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "submitted 1 tasks" in out.stdout


def test_models_are_generated_from_the_current_openapi_document():
    sys.path.insert(0, os.path.join(HERE, "../scripts"))
    from generate_models import TARGET, generate
    assert TARGET.read_text() == generate(), "run clients/python/scripts/generate_models.py"
