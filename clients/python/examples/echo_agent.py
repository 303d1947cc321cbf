"""An agent that echoes each task's payload back as its result.

    export WORKHIVE_URL=http://127.0.0.1:8080 WORKHIVE_API_KEY=wh_...   # a worker's key
    python examples/echo_agent.py echo
"""
import logging
import os
import sys

from workhive import AgentRunner, Worker, WorkhiveClient


class EchoWorker(Worker):
    def __init__(self, task_type: str) -> None:
        self.task_type = task_type

    def work(self, task, claim):
        return {"echo": task["payload"], "title": task["title"]}


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    client = WorkhiveClient(os.environ.get("WORKHIVE_URL", "http://127.0.0.1:8080"), os.environ["WORKHIVE_API_KEY"])
    max_tasks = int(os.environ["MAX_TASKS"]) if os.environ.get("MAX_TASKS") else None
    done = AgentRunner(client, EchoWorker(sys.argv[1] if len(sys.argv) > 1 else "echo")).run(max_tasks=max_tasks)
    print(f"submitted {len(done)} tasks: {done}")


if __name__ == "__main__":
    main()
