"""A small HTTP/1.1 client for the peer benchmark: one connection per request, every byte counted.

The benchmark compares engines over the wire, so it counts what goes over the wire: the request and the
response as sent, headers included. Each request closes its connection (gunicorn's sync workers close
them anyway), which keeps engines with and without keep-alive comparable.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


class HttpError(RuntimeError):
    """An answer the workload did not expect."""


@dataclass
class Answer:
    """A response: status, headers (lower-case names) and the decoded JSON body (None when empty)."""

    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Tally:
    """Latencies by request kind and bytes on the wire, shared by a run's client threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sent: int = 0
    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, sent: int, received: int) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.sent += sent
            self.received += received


class Http:
    """Requests to one server, with a bearer token (or other headers), tallied by kind."""

    def __init__(self, base_url: str, headers: dict[str, str], tally: Tally) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.headers = headers
        self.tally = tally

    def call(self, kind: str, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200,),
             headers: dict[str, str] | None = None) -> Answer:
        """One request; raises HttpError unless the status is in ``expect``."""
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close",
                 "Accept: application/json", *(f"{k}: {v}" for k, v in {**self.headers, **(headers or {})}.items())]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        started = time.perf_counter()
        raw = self._exchange(request)
        seconds = time.perf_counter() - started
        self.tally.add(kind, seconds, len(request), len(raw))
        answer = _parse(raw)
        if answer.status not in expect:
            raise HttpError(f"{kind}: {method} {path} answered {answer.status}: {str(answer.body)[:300]}")
        return answer

    def _exchange(self, request: bytes) -> bytes:
        with socket.create_connection((self.host, self.port), timeout=120) as conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sendall(request)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def _parse(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _unchunk(body)
    text = body.decode("utf-8") if body else ""
    return Answer(status, headers, json.loads(text) if text.strip() else None)


def _unchunk(body: bytes) -> bytes:
    out, rest = [], body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2:]
    return b"".join(out)
