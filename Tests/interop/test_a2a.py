"""Interop with the official A2A Python SDK (a2a-sdk 1.3.0): its client resolves our agent card,
posts a task with SendMessage, streams it to completion, and reads it back."""
import asyncio
import time
import uuid

import httpx
import pytest
from a2a.client import A2AClientError, ClientConfig, ClientFactory
from a2a.types import a2a_pb2 as a2a
from a2a.utils.errors import InvalidParamsError, TaskNotCancelableError, TaskNotFoundError
from google.protobuf import json_format

STATE = a2a.TaskState.Name


def message(text: str, **metadata) -> a2a.Message:
    return json_format.ParseDict({
        "messageId": str(uuid.uuid4()), "role": "ROLE_USER",
        "parts": [{"text": text}, {"data": {"image": "https://example.org/7.png"}}],
        "metadata": metadata,
    }, a2a.Message())


def client(server, key: str, streaming: bool = True):
    http = httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    return ClientFactory(ClientConfig(streaming=streaming, httpx_client=http)).create_from_url(server.url)


def work_and_verify(server, task_type: str, result: dict) -> None:
    """A worker claims and submits, then a verifier of another owner approves: slowly enough that
    a stream sees each step."""
    worker, verifier = server.worker("labeler"), server.worker("checker")
    claim = server.claim(worker, task_type)
    time.sleep(0.8)
    server.ok("POST", f"/v1/claims/{claim['claim_id']}/submit", worker, {"result": result})
    slot = server.claim(verifier, "verify")
    time.sleep(0.8)
    server.ok("POST", f"/v1/claims/{slot['claim_id']}/vote", verifier, {"verdict": "approve"})


def test_card_resolves_with_a_json_rpc_interface_at_1_0(server):
    async def run():
        http = httpx.AsyncClient()
        from a2a.client import A2ACardResolver
        card = await A2ACardResolver(http, server.url).get_agent_card()
        await http.aclose()
        return card
    card = asyncio.run(run())
    assert card.name == "Workhive"
    assert [(i.protocol_binding, i.protocol_version, i.url) for i in card.supported_interfaces] == [
        ("JSONRPC", "1.0", server.url + "/v1/a2a")]
    assert card.capabilities.streaming
    assert [s.id for s in card.skills] == ["image.label", "general"]
    assert "workhive_api_key" in card.security_schemes


def test_send_message_streams_the_task_to_completion_and_get_task_returns_it(server):
    requester = server.requester("a2a-requester")
    result = {"label": "cat", "confidence": 0.93}

    async def run():
        c = await client(server, requester)
        msg = message("Label image 7\nIs it a cat or a dog?", task_type="image.label", reward_micro_usdt=1_000_000,
                      verification={"verifiers": 1, "quorum": 1})
        events, worker = [], None
        async for event in c.send_message(a2a.SendMessageRequest(message=msg)):
            events.append(event)
            if worker is None:
                worker = asyncio.create_task(asyncio.to_thread(work_and_verify, server, "image.label", result))
        await worker
        task_id = events[0].task.id
        fetched = await c.get_task(a2a.GetTaskRequest(id=task_id))
        listed = await c.list_tasks(a2a.ListTasksRequest(page_size=10, include_artifacts=True))
        await c.close()
        return events, fetched, listed

    events, fetched, listed = asyncio.run(run())
    first = events[0]
    assert first.WhichOneof("payload") == "task"
    assert STATE(first.task.status.state) == "TASK_STATE_SUBMITTED"
    assert first.task.metadata["task_type"] == "image.label"
    statuses = [(STATE(e.status_update.status.state), e.status_update.status.message.parts[0].text)
                for e in events if e.HasField("status_update")]
    texts = " | ".join(t for _, t in statuses)
    assert "claimed by a worker" in texts and "in verification" in texts, statuses
    assert statuses[-1][0] == "TASK_STATE_COMPLETED"
    artifacts = [e.artifact_update.artifact for e in events if e.HasField("artifact_update")]
    assert len(artifacts) == 1 and json_format.MessageToDict(artifacts[0].parts[0].data) == result

    assert STATE(fetched.status.state) == "TASK_STATE_COMPLETED"
    assert json_format.MessageToDict(fetched.artifacts[0].parts[0].data) == result
    assert fetched.id == first.task.id
    assert [t.id for t in listed.tasks] == [fetched.id]
    assert len(listed.tasks[0].artifacts) == 1
    # The requester paid for it: reward + fee + one verifier reward left its funds.
    funds = server.ok("GET", "/v1/wallet", requester)["accounts"][0]
    assert funds["balance_micro_usdt"] < 100_000_000 and funds["held_micro_usdt"] == 0


def test_cancel_subscribe_and_errors_carry_a2a_codes(server):
    requester = server.requester("a2a-canceller")
    worker_key = server.worker("nosy")

    async def run():
        c = await client(server, requester, streaming=False)
        [sent] = [e async for e in c.send_message(a2a.SendMessageRequest(message=message("Say hi", reward_micro_usdt=10_000)))]
        task = sent.task
        assert STATE(task.status.state) == "TASK_STATE_SUBMITTED" and task.metadata["task_type"] == "image.label"

        # SubscribeToTask streams the open task; cancelling it over REST ends the stream with CANCELED.
        async def cancel_soon():
            await asyncio.sleep(0.8)
            await asyncio.to_thread(server.ok, "POST", f"/v1/tasks/{task.id}/cancel", requester)
        canceller = asyncio.create_task(cancel_soon())
        streaming = await client(server, requester)
        seen = [e async for e in streaming.subscribe(a2a.SubscribeToTaskRequest(id=task.id))]
        await canceller
        await streaming.close()
        assert seen[0].task.id == task.id
        assert STATE(seen[-1].status_update.status.state) == "TASK_STATE_CANCELED"

        with pytest.raises(TaskNotCancelableError):
            await c.cancel_task(a2a.CancelTaskRequest(id=task.id))
        with pytest.raises(TaskNotFoundError):
            await c.get_task(a2a.GetTaskRequest(id="987654"))
        with pytest.raises(InvalidParamsError, match="reward_micro_usdt"):
            [e async for e in c.send_message(a2a.SendMessageRequest(message=message("No reward")))]

        [again] = [e async for e in c.send_message(a2a.SendMessageRequest(message=message("Cancel me", reward_micro_usdt=10_000)))]
        cancelled = await c.cancel_task(a2a.CancelTaskRequest(id=again.task.id))
        assert STATE(cancelled.status.state) == "TASK_STATE_CANCELED"
        canceled_only = await c.list_tasks(a2a.ListTasksRequest(status=a2a.TaskState.TASK_STATE_CANCELED))
        assert sorted(t.id for t in canceled_only.tasks) == sorted([task.id, again.task.id])
        await c.close()

        # A worker key may not post tasks: the REST API's rule, as a JSON-RPC server error.
        w = await client(server, worker_key, streaming=False)
        with pytest.raises(A2AClientError, match="-32000"):
            [e async for e in w.send_message(a2a.SendMessageRequest(message=message("x", reward_micro_usdt=10_000)))]
        await w.close()

    asyncio.run(run())


def test_json_rpc_envelope_errors_and_authentication(server):
    requester = server.requester("a2a-raw")
    url = server.url + "/v1/a2a"
    h = {"Authorization": f"Bearer {requester}", "A2A-Version": "1.0"}
    assert httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "1"}}).status_code == 401
    def rpc(body, headers=h):
        return httpx.post(url, content=body, headers=headers).json()
    assert rpc(b"{nope")["error"]["code"] == -32700
    assert rpc(b'{"id": 1, "method": "GetTask"}')["error"]["code"] == -32600
    assert rpc(b'{"jsonrpc": "2.0", "id": 2, "method": "tasks/get", "params": {}}')["error"]["code"] == -32601
    assert rpc(b'{"jsonrpc": "2.0", "id": 3, "method": "GetTask", "params": {}}')["error"]["code"] == -32602
    push = rpc(b'{"jsonrpc": "2.0", "id": "p", "method": "CreateTaskPushNotificationConfig", "params": {}}')
    assert push["id"] == "p" and push["error"]["code"] == -32003
    assert push["error"]["data"][0]["reason"] == "PUSH_NOTIFICATION_NOT_SUPPORTED"
    old = rpc(b'{"jsonrpc": "2.0", "id": 4, "method": "GetTask", "params": {"id": "1"}}', {**h, "A2A-Version": "0.3"})
    assert old["error"]["code"] == -32009
