"""Fakes at true boundaries for casework tests: a small clamd on loopback and an S3 server (moto's).

The fake clamd speaks ClamAV's INSTREAM protocol over a real socket and reports the EICAR test string
as found; moto's standalone server is a real S3-compatible HTTP server that boto3 talks to as to any.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class _Clamd(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn = self.request
        command = b""
        while not command.endswith(b"\0"):
            command += conn.recv(1)
        if command != b"zINSTREAM\0":
            conn.sendall(b"UNKNOWN COMMAND\0")
            return
        data = b""
        while True:
            size = struct.unpack("!L", _exactly(conn, 4))[0]
            if size == 0:
                break
            data += _exactly(conn, size)
        self.server.scanned.append(len(data))
        conn.sendall(b"stream: Eicar-Signature FOUND\0" if EICAR in data else b"stream: OK\0")


def _exactly(conn: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        part = conn.recv(n - len(out))
        if not part:
            raise ConnectionError("client went away")
        out += part
    return out


class FakeClamd(socketserver.ThreadingTCPServer):
    """A clamd on 127.0.0.1 (a free port); ``scanned`` lists the sizes of the streams it was sent."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Clamd)
        self.scanned: list[int] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        """host:port, as FRONTDOOR_CLAMD takes it."""
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> FakeClamd:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
