"""PgQueuer's enqueue -> dequeue -> ack, measured the way `workhive bench queue` measures Workhive's
post -> claim -> submit: producers enqueue one job per call, consumers take and finish them, and the
clock stops when every job is acknowledged (gone from the queue). Runs in a database of its own on
the given PostgreSQL server, dropped afterwards. Prints one JSON line.

    python3 pgqueuer_bench.py postgres://postgres@127.0.0.1:5432/postgres --jobs 5000
"""
import argparse
import asyncio
import json
import time
import urllib.parse
import uuid

import asyncpg
from pgqueuer import AsyncpgDriver, Queries, QueueManager


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    # The query is kept: ?host=/directory names a Unix-domain socket, as for Workhive.
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


async def run(url: str, jobs: int, producers: int, consumers: int, batch: int) -> dict:
    name = "pgqueuer_bench_" + uuid.uuid4().hex[:8]
    admin = await asyncpg.connect(with_database(url, urllib.parse.urlsplit(url).path.lstrip("/") or "postgres"))
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        url = with_database(url, name)
        setup = await asyncpg.connect(url)
        await Queries(AsyncpgDriver(setup)).install()

        finished = 0
        all_done = asyncio.Event()
        managers = []
        for _ in range(consumers):
            qm = QueueManager(Queries(AsyncpgDriver(await asyncpg.connect(url))))

            @qm.entrypoint("bench")
            async def work(job) -> None:
                nonlocal finished
                finished += 1
                if finished == jobs:
                    all_done.set()

            managers.append(qm)

        async def produce(share: int) -> None:
            queries = Queries(AsyncpgDriver(await asyncpg.connect(url)))
            for i in range(share):
                await queries.enqueue("bench", b'{"item": %d}' % i, 0)

        start = time.perf_counter()
        running = [asyncio.create_task(qm.run(batch_size=batch, log_aggregation_interval=__import__("datetime").timedelta(0))) for qm in managers]
        shares = [jobs // producers + (1 if i < jobs % producers else 0) for i in range(producers)]
        await asyncio.gather(*(produce(s) for s in shares))
        await all_done.wait()
        # Acknowledged means gone from the queue table (PgQueuer deletes finished jobs in batches).
        while await setup.fetchval("SELECT count(*) FROM pgqueuer") > 0:
            await asyncio.sleep(0.005)
        seconds = time.perf_counter() - start
        for qm in managers:
            qm.shutdown.set()
        await asyncio.gather(*running, return_exceptions=True)
        await setup.close()
        return {"peer": "pgqueuer", "jobs": jobs, "seconds": seconds, "per_second": jobs / seconds,
                "producers": producers, "consumers": consumers, "batch": batch}
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--producers", type=int, default=8)
    parser.add_argument("--consumers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.jobs, args.producers, args.consumers, args.batch))))


if __name__ == "__main__":
    main()
