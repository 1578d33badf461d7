"""Sign-in limits shared by every worker: gunicorn with 4 workers counting in
Redis (RATELIMIT_STORAGE_URI), the way production runs.

Was: each worker counted on its own, so 19-20 wrong passwords a minute got
through instead of 5, and right passwords used up the same budget (13 of 21
colleagues behind one clinic IP refused).

Needs a Redis server named by TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/13
(`.ci/run` starts one and sets it). Each test counts under its own key prefix
in that database and deletes only its own keys afterwards: test runs on
SQLite and PostgreSQL may share the database at the same time.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import redis

from tests.helpers import DEFAULT_PASSWORD, login
from tests.servers import Browser, free_port, gunicorn

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
WRONG_PASSWORD = "not the right password at all"
ACCESS_LOG = ("--access-logfile", "-", "--access-logformat", "%(p)s %(m)s %(U)s %(s)s")


@pytest.fixture
def redis_limits():
    """(storage URI, key prefix); skipped only when TEST_REDIS_URL is unset."""
    if not TEST_REDIS_URL:
        pytest.skip(
            "TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/13): sign-in "
            "limits shared through Redis are not tested here; .ci/run sets it"
        )
    store = redis.Redis.from_url(TEST_REDIS_URL)
    store.ping()  # set but unreachable is a failure, not a skip
    prefix = f"clinic-test-{uuid.uuid4().hex}"
    yield TEST_REDIS_URL, prefix
    mine = list(store.scan_iter(match=f"*{prefix}*"))
    if mine:
        store.delete(*mine)
    store.close()


@contextmanager
def serve(database_uri: str, tmp_path, storage_uri: str, *, prefix: str, workers: int):
    """gunicorn on this test's database, counting sign-ins in ``storage_uri``."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        # The cost the test accounts were hashed with: no rehash at sign-in.
        "ARGON2_TIME_COST = 1\nARGON2_MEMORY_COST = 1024\nARGON2_PARALLELISM = 1\n"
        f"RATELIMIT_KEY_PREFIX = {prefix!r}\n"
    )
    env = {
        **os.environ,
        "CLINIC_INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_uri,
        "SECRET_KEY": "redis-limits-test-secret-key",
        "SESSION_COOKIE_SECURE": "false",
        "RATELIMIT_STORAGE_URI": storage_uri,
    }
    for name in ("BENCH_MODE", "CRASH_PAUSE_SERIES", "TRUSTED_PROXIES"):
        env.pop(name, None)
    log = tmp_path / "gunicorn.log"
    with gunicorn(env, log, workers=workers, extra_args=ACCESS_LOG) as served:
        yield served


@pytest.fixture
def server(app, database_uri, redis_limits, tmp_path):
    """gunicorn -w 4 counting sign-ins in Redis, as production runs, once
    every worker has loaded the app (on a busy machine the first one answers
    everything for a while, which would prove nothing about sharing)."""
    storage_uri, prefix = redis_limits
    with serve(database_uri, tmp_path, storage_uri, prefix=prefix, workers=4) as served:
        deadline = time.monotonic() + 60
        while len({pid for pid, _, _ in answers(served, "GET")}) < 4:
            assert time.monotonic() < deadline, served.log.read_text()
            with ThreadPoolExecutor(8) as pool:
                list(
                    pool.map(lambda _: Browser(served.base_url).get("/login"), range(8))
                )
        yield served


def answers(served, method: str) -> list[tuple[str, str, int]]:
    """(worker pid, path, status) of each answer, in order, from the access log."""
    found = []
    for line in served.log.read_text().splitlines():
        match = re.fullmatch(r"<(\d+)> (\w+) (\S+) (\d{3})", line.strip())
        if match and match.group(2) == method:
            found.append((match.group(1), match.group(3), int(match.group(4))))
    return found


def sign_in_answers(served, expected: int) -> list[tuple[str, int]]:
    """(pid, status) of the last ``expected`` POST /login answers; a line is
    written just after its answer, so wait for it."""
    deadline = time.monotonic() + 10
    while True:
        found = [(pid, status) for pid, path, status in answers(served, "POST")]
        if len(found) >= expected or time.monotonic() > deadline:
            return found[-expected:]
        time.sleep(0.05)


def test_the_sixth_failure_in_a_minute_is_429_whichever_worker_answers(
    server, make_user
):
    user = make_user()
    browser = Browser(server.base_url)
    statuses = [
        login(browser, f"nobody{n}@test.clinic", WRONG_PASSWORD).status_code
        for n in range(25)
    ]
    assert statuses == [401] * 5 + [429] * 20, server.log.read_text()
    assert login(browser, user.email, DEFAULT_PASSWORD).status_code == 429
    # Counted per worker, a worker that answered fewer than five of the
    # failures would have let the next attempt through: some did refuse.
    answered = sign_in_answers(server, 26)
    failures = Counter(pid for pid, status in answered if status == 401)
    refusers = {pid for pid, status in answered if status == 429}
    assert any(failures[pid] < 5 for pid in refusers), answered


def test_twenty_colleagues_behind_one_ip_are_never_refused(server, make_user):
    colleagues = [make_user() for _ in range(20)]
    statuses = [
        login(Browser(server.base_url), user.email, DEFAULT_PASSWORD).status_code
        for user in colleagues
    ]
    assert statuses == [302] * 20, server.log.read_text()
    # Their sign-ins left the budget for failures untouched.
    browser = Browser(server.base_url)
    failures = [
        login(browser, f"nobody{n}@test.clinic", WRONG_PASSWORD).status_code
        for n in range(6)
    ]
    assert failures == [401] * 5 + [429], server.log.read_text()


def test_sign_in_keeps_working_while_redis_is_out_of_reach(
    app, database_uri, tmp_path, make_user
):
    """Redis down (here: nothing listens on its port) is no reason to refuse
    every sign-in with a 500: each worker counts in memory meanwhile."""
    user = make_user()
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with serve(database_uri, tmp_path, nowhere, prefix="unused", workers=1) as served:
        browser = Browser(served.base_url)
        assert login(browser, user.email, DEFAULT_PASSWORD).status_code == 302
        failures = [
            login(
                Browser(served.base_url), f"nobody{n}@test.clinic", WRONG_PASSWORD
            ).status_code
            for n in range(6)
        ]
        assert failures == [401] * 5 + [429], served.log.read_text()
