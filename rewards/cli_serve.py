"""`r1reward serve`: an HTTP reward server for OpenRLHF's `--remote_rm_url`.

POST a JSON object `{"query": [...], "prompts": [...], "labels": [...]}` (to `/` or
`/get_reward`); the answer is `{"rewards": [...], "scores": [...], "extra_logs": {...}}` from
`adapters.reward_func` (`scores`: accuracy alone, for OpenRLHF's dynamic filtering).
`GET /health` answers `{"status": "ok"}`. Bad requests get a 4xx with
`{"error": message}`; a failure while scoring (or a reward that is not a finite number) gets a
500 with a message, and the server keeps serving. Served by waitress (the `[serve]` extra), a
pure-Python production WSGI server, which buffers a whole body (chunked too) before the
application runs and refuses one over the limit from its Content-Length, before reading it.

OpenRLHF (`openrlhf/utils/remote_rm_utils.py`) sends a whole rollout batch in one request per
server, waits 180 s and retries the same body up to 5 times: the last few answers are kept by the
body's digest, so a retry of a batch still being scored gets its answer instead of a rescoring.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from .adapters import reward_func
from .functions import Reward

# One OpenRLHF request carries a whole rollout (e.g. 512 prompts x 16 samples of long chains of
# thought, non-ASCII escaped as \uXXXX): 64 MB was refused for real runs, and a 413 is retried
# five times and then ends the training.
MAX_BODY = 1024 * 1024 * 1024
RECENT = 4  # answers kept for retries of the same body
REWARD_PATHS = ("/", "/get_reward")

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _strings(body: dict, key: str, n: int | None) -> list:
    value = body.get(key)
    if not isinstance(value, list):
        raise BadRequest(400, f"{key!r} must be a JSON list")
    if n is not None and len(value) != n:
        raise BadRequest(400, f"{key!r} has {len(value)} items but 'query' has {n}")
    return value


def parse_request(raw: bytes) -> tuple[list[str], list[str], list[Any]]:
    """(queries, prompts, labels) from a request body, or BadRequest saying what is wrong."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise BadRequest(400, f"body is not valid JSON: {e}") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "body must be a JSON object with 'query' and 'labels'")
    queries = _strings(body, "query", None)
    if not all(isinstance(q, str) for q in queries):
        raise BadRequest(400, "every 'query' item must be a string (prompt + response)")
    n = len(queries)
    prompts = _strings(body, "prompts", n) if body.get("prompts") is not None else [""] * n
    if not all(isinstance(p, str) for p in prompts):
        raise BadRequest(400, "every 'prompts' item must be a string")
    if "labels" not in body:
        raise BadRequest(400, "missing 'labels' (one reference answer per query)")
    labels = _strings(body, "labels", n)
    return queries, prompts, labels


def _finite(result: dict) -> None:
    """A NaN or infinite reward is not JSON (strict parsers refuse it; Python's `requests` would
    hand the trainer NaN advantages): refuse the answer loudly instead."""
    values = [*result.get("rewards", ()), *result.get("scores", ())]
    values += list(result.get("extra_logs", {}).values())
    bad = [v for v in values if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise ValueError(f"a reward is not a finite number ({bad[0]}); check the reward weights")


def make_app(reward: Reward, log: Callable[[str], None] | None = None, max_body: int = MAX_BODY):
    """The WSGI application scoring with `reward` (one request at a time: the scoring pool is
    shared, and `Weighted.last_components` belongs to the latest call). The last `RECENT` answers
    are kept by the body's SHA-256: a client's retry after its timeout waits for the batch already
    being scored and gets its answer, instead of scoring it again behind it."""
    lock = threading.Lock()
    recent: OrderedDict[bytes, dict] = OrderedDict()

    def respond(start_response, status: int, payload: dict) -> Iterable[bytes]:
        data = json.dumps(payload, allow_nan=False).encode()
        start_response(
            f"{status} {_REASONS.get(status, '')}".strip(),
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]

    def score(raw: bytes) -> dict:
        key = hashlib.sha256(raw).digest()
        with lock:
            if key in recent:
                recent.move_to_end(key)
                return recent[key]
        queries, prompts, labels = parse_request(raw)
        with lock:
            if key in recent:  # scored while this request waited for the lock
                return recent[key]
            result = reward_func(queries, prompts, labels, reward=reward)
            _finite(result)
            recent[key] = result
            while len(recent) > RECENT:
                recent.popitem(last=False)
            return result

    def app(environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == "/health":
                return respond(start_response, 200, {"status": "ok"})
            if path not in REWARD_PATHS:
                raise BadRequest(404, f"no such path {path!r}; POST to / or /get_reward")
            if method != "POST":
                raise BadRequest(405, "use POST with a JSON body")
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                raise BadRequest(400, "bad Content-Length") from None
            if length > max_body:
                raise BadRequest(413, f"body over {max_body} bytes")
            raw = environ["wsgi.input"].read(length) if length else b""
            if not raw:
                raise BadRequest(400, "empty body; send a JSON object with 'query' and 'labels'")
            return respond(start_response, 200, score(raw))
        except BadRequest as e:
            return respond(start_response, e.status, {"error": str(e)})
        except Exception as e:  # scoring failed: answer, log, keep serving
            if log:
                log(f"r1reward serve: error while scoring: {type(e).__name__}: {e}")
                log(traceback.format_exc().rstrip())
            return respond(start_response, 500, {"error": f"{type(e).__name__}: {e}"})

    return app


def _url(host: str, port: int | str) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def make_server(
    reward: Reward,
    host: str,
    port: int,
    threads: int = 4,
    max_body: int = MAX_BODY,
    log: Callable[[str], None] | None = None,
):
    """(waitress server, the URLs it listens on). Waitress refuses a body over `max_body` from
    its Content-Length (or while dechunking), before buffering it; a host name may bind several
    sockets (localhost: 127.0.0.1 and ::1)."""
    from waitress import create_server

    server = create_server(
        make_app(reward, log, max_body), host=host, port=port, threads=threads,
        max_request_body_size=max_body + 1,  # waitress refuses from max_request_body_size on
    )  # fmt: skip
    listen = getattr(server, "effective_listen", None)
    if listen is None:
        listen = [(server.effective_host, server.effective_port)]
    return server, [_url(h, p) for h, p, *_ in listen]


def close_server(server) -> None:
    """Stop the connection threads (queued requests are dropped) and close every socket."""
    from waitress import wasyncore

    server.task_dispatcher.shutdown()
    wasyncore.close_all(getattr(server, "map", None) or server._map)


def serve(reward: Reward, host: str, port: int, threads: int = 4) -> int:
    """Serve until interrupted; prints the bound addresses to stderr first. Ctrl-C ends as a
    KeyboardInterrupt (exit 130 from the command line) once the server is closed."""
    try:
        import waitress  # noqa: F401
    except ImportError:
        print(
            "r1reward serve needs waitress: pip install waitress (or, in the repository,"
            " pip install '.[serve]')",
            file=sys.stderr,
        )
        return 4  # a runtime error (the command line was right): the exit codes of `r1reward`

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    server, urls = make_server(reward, host, port, threads, log=log)
    log(f"r1reward serve: listening on {' '.join(urls)} (POST / or /get_reward)")
    try:
        server.run()  # waitress returns from run() on Ctrl-C (KeyboardInterrupt or SystemExit)
    finally:
        close_server(server)
    raise KeyboardInterrupt  # run() only returns when interrupted
