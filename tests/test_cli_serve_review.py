"""Review of `r1reward serve` as a long-running service next to an OpenRLHF trainer.

OpenRLHF (`openrlhf/utils/remote_rm_utils.py`, `remote_rm_fn_ray` / `request_api_wrapper`) POSTs
`{"query", "prompts", "labels"}` with `requests.post(json=..., timeout=180)`, one request per
server holding the whole rollout, retries the same body 5 times a second apart, and reads
`rewards`, `scores` and `extra_logs` from `response.json()`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

pytest.importorskip("waitress")

from r1reward.rewards import core, registry
from r1reward.rewards.cli_serve import close_server, make_app, make_server
from r1reward.rewards.core import Engine, set_default_engine

from tests.serve_client import post, start_cli_server, strict


@pytest.fixture
def inline():
    previous = core._default
    set_default_engine(Engine(workers=0))
    yield
    if previous is not None:
        set_default_engine(previous)


class Counting:
    """A reward that counts its scorings (and can be slowed down or made to fail)."""

    def __init__(self, inner, delay: float = 0.0, fail: bool = False) -> None:
        self.inner, self.delay, self.fail = inner, delay, fail
        self.components = inner.components
        self.calls = 0

    def details(self, *args, **kw):
        self.calls += 1
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("boom")
        return self.inner.details(*args, **kw)


@pytest.fixture
def running(inline):
    """Start an in-process server: running(reward, **make_server kwargs) -> base URL."""
    servers = []

    def start(reward=None, **kw):
        reward = reward or registry.preset("r1-zero")
        kw.setdefault("threads", 4)
        server, urls = make_server(reward, "127.0.0.1", 0, **kw)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        return urls[0].rstrip("/")

    yield start
    for server, thread in servers:
        # closed by the server's own loop thread (woken by its trigger): sockets closed from
        # here while that thread sits in select() made it die of EBADF, a warning in the run
        server.trigger.pull_trigger(lambda server=server: close_server(server))
        thread.join(10)
        assert not thread.is_alive()


def raw_http(url: str, request: bytes, timeout: float = 5) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        while True:
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


def batch(n: int, offset: int = 0) -> dict:
    prompts = [f"Q{i}: " for i in range(n)]
    answers = [str(i + offset) for i in range(n)]
    return {"query": [p + f"<think>t</think> \\boxed{{{a}}}" for p, a in zip(prompts, answers, strict=True)],
            "prompts": prompts, "labels": [str(i) for i in range(n)]}  # fmt: skip


# ---- limits, framing ---------------------------------------------------------------------------


def test_oversized_body_is_refused_from_its_content_length_before_it_is_read(running):
    url = running(max_body=1000)
    head = (
        b"POST /get_reward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000000\r\n\r\n{"
    )
    started = time.monotonic()
    answer = raw_http(url, head, timeout=5)  # the 100 MB never comes: no wait for it
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 3


def test_chunked_body_without_content_length_is_scored_and_capped(running):
    url = running(max_body=5000)
    body = json.dumps(batch(3)).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7])
                       for i in range(0, len(body), 7)) + b"0\r\n\r\n"  # fmt: skip
    head = (
        b"POST /get_reward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    answer = raw_http(url, head + chunked)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert strict(answer.split(b"\r\n\r\n", 1)[1])["rewards"] == [2.0, 2.0, 2.0]
    big = b"8000\r\n" + b" " * 0x8000 + b"\r\n0\r\n\r\n"
    answer = raw_http(url, head + big)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_default_limit_admits_a_large_rollout():
    # 8192 samples of ~5k tokens, non-ASCII escaped by requests' json=: well over 64 MB
    from r1reward.rewards import cli_serve

    assert cli_serve.MAX_BODY >= 512 * 1024 * 1024


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 400),  # RecursionError was a 500
        (b'{"query": ["x"], "labels": ["1"], "prompts": null}', 200),  # null: no prompts
        (b"\xff\xfe\x00{", 400),  # not UTF-8/16/32
        (json.dumps({"query": ["x"], "labels": ["1"]}).encode("utf-16"), 200),
        (b'{"query": ["x"], "labels": ["1"]', 400),  # truncated
        (b'{"query": ["1"], "labels": [NaN, null]}', 400),  # mismatched lengths
        (json.dumps({"query": ["x"], "prompts": ["a", "b"], "labels": ["1"]}).encode(), 400),
        (json.dumps({"query": ["x"], "labels": [None]}).encode(), 200),  # scored 0
    ],
    ids=["deep", "null-prompts", "not-utf", "utf-16", "truncated", "lengths", "prompts", "null"],
)
def test_malformed_bodies_get_a_json_answer_and_the_right_status(inline, raw, status):
    import io

    app = make_app(registry.preset("r1-zero"))
    seen = {}
    env = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "CONTENT_LENGTH": str(len(raw)),
           "wsgi.input": io.BytesIO(raw)}  # fmt: skip
    out = b"".join(app(env, lambda s, h: seen.update(status=s, headers=dict(h))))
    assert seen["status"].startswith(str(status)), (seen, out[:200])
    assert seen["headers"]["Content-Type"] == "application/json"
    body = strict(out)
    assert ("error" in body) == (status != 200)


# ---- scoring -----------------------------------------------------------------------------------


def test_a_retry_of_the_batch_being_scored_gets_its_answer_without_rescoring(running):
    # OpenRLHF's client gives up after 180 s and posts the same body again: scoring it twice
    # behind the lock made every retry time out too, and the trainer died after 5
    reward = Counting(registry.preset("r1-zero"), delay=0.5)
    url = running(reward)
    body = batch(4)
    results = []
    threads = [threading.Thread(target=lambda: results.append(post(url, body))) for _ in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(10)
    assert [s for s, _ in results] == [200, 200, 200]
    assert all(out == results[0][1] for _, out in results)
    assert reward.calls == 1
    status, out = post(url, batch(4, offset=1))  # a different batch is scored
    assert status == 200 and out["scores"] == [0.0] * 4 and reward.calls == 2


def test_concurrent_batches_do_not_mix(running):
    url = running(threads=6)
    results: dict[int, tuple] = {}

    def one(k: int) -> None:
        body = batch(5 + k, offset=k % 2)  # odd k: every answer off by one
        results[k] = post(url, body, timeout=30)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for k, (status, out) in results.items():
        assert status == 200
        assert len(out["rewards"]) == 5 + k
        assert out["scores"] == [float(k % 2 == 0)] * (5 + k)
    assert len(results) == 12


def test_a_failing_scoring_answers_500_in_json_and_the_server_keeps_serving(running, capfd):
    reward = Counting(registry.preset("r1-zero"), fail=True)
    logged = []
    server_url = running(reward, log=logged.append)
    status, out = post(server_url, batch(2))
    assert status == 500 and "RuntimeError: boom" in out["error"]
    assert any("Traceback" in line for line in logged)
    reward.fail = False
    status, out = post(server_url, batch(2))
    assert status == 200 and out["rewards"] == [2.0, 2.0]


def test_a_non_finite_reward_is_a_500_not_invalid_json(running):
    from r1reward.rewards import Accuracy, weighted

    # (a weight of nan is refused on the command line and by weighted(); a reward of the user's
    # own can still give one)
    reward = weighted({Accuracy(): 1.0})
    reward.components = ((reward.components[0][0], float("nan")),)
    url = running(reward)
    status, out = post(url, batch(2))  # strict parsing: NaN was sent as a bare token
    assert status == 500 and "finite" in out["error"]


def test_a_slow_client_does_not_hold_the_only_thread(running):
    url = running(threads=1)
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as slow:
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        status, out = post(url, batch(2), timeout=5)
        assert status == 200 and out["rewards"] == [2.0, 2.0]


# ---- addresses, shutdown -----------------------------------------------------------------------


def test_ipv6_address_is_announced_in_brackets(inline):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server, urls = make_server(registry.preset("r1-zero"), "::1", 0)
    except OSError:
        pytest.skip("::1 cannot be bound")
    try:
        assert re.fullmatch(r"http://\[::1\]:\d+/", urls[0]), urls
    finally:
        close_server(server)


def test_a_host_name_with_two_addresses_binds_both(inline, monkeypatch):
    # localhost is 127.0.0.1 and ::1 on many hosts: waitress then returns a MultiSocketServer,
    # which has no effective_port (AttributeError at startup)
    import waitress.adjustments

    real = socket.getaddrinfo
    try:
        real("::1", 0, socket.AF_INET6)
        socket.socket(socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6")

    def both(host, port, *args, **kw):
        if host == "dual.test":
            return real("127.0.0.1", port, *args, **kw) + real("::1", port, *args, **kw)
        return real(host, port, *args, **kw)

    monkeypatch.setattr(waitress.adjustments.socket, "getaddrinfo", both)
    try:
        server, urls = make_server(registry.preset("r1-zero"), "dual.test", 0)
    except OSError:
        pytest.skip("::1 cannot be bound")
    try:
        assert len(urls) == 2 and any("[::1]" in u for u in urls), urls
    finally:
        close_server(server)


def _workers_of(pid: int) -> list[str]:
    out = subprocess.run(["pgrep", "-a", "-P", str(pid)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_exit_with_the_documented_codes_and_no_workers_left(sig, code):
    proc, url = start_cli_server("--workers", "1")
    try:
        status, out = post(url, batch(40), timeout=20)  # over the engine's inline size
        assert status == 200 and out["rewards"] == [2.0] * 40
        workers = [int(line.split()[0]) for line in _workers_of(proc.pid)]
        assert workers, "a scoring worker process"
        proc.send_signal(sig)
        assert proc.wait(timeout=15) == code  # Ctrl-C exited 0 (waitress swallowed it)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
        proc.stdout.close()
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
