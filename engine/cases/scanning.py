"""The virus-scan hook: ClamAV's daemon (clamd) over its INSTREAM protocol, when one is configured.

With no scanner configured a document is stored and marked "not scanned"; with one, an infected file
is refused and a scanner that cannot be reached refuses the upload too (fail closed).
"""

from __future__ import annotations

import socket
import struct

CHUNK = 64 * 1024
TIMEOUT_S = 30.0


class ScanFailed(Exception):
    """The scanner could not give an answer (not running, timed out, or an answer we cannot read)."""


def clamd_scan(address: tuple[str, int], data: bytes, timeout: float = TIMEOUT_S) -> str | None:
    """The name of what clamd found in ``data``, or None when it is clean. Raises ScanFailed."""
    try:
        with socket.create_connection(address, timeout=timeout) as conn:
            conn.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CHUNK):
                chunk = data[start:start + CHUNK]
                conn.sendall(struct.pack("!L", len(chunk)) + chunk)
            conn.sendall(struct.pack("!L", 0))
            answer = _read_answer(conn)
    except OSError as exc:
        raise ScanFailed(f"the virus scanner could not be reached ({exc.__class__.__name__})") from exc
    if answer.endswith("OK"):
        return None
    if answer.endswith("FOUND"):
        return answer.removeprefix("stream:").removesuffix("FOUND").strip() or "a threat"
    raise ScanFailed(f"the virus scanner answered {answer[:80]!r}")


def _read_answer(conn: socket.socket) -> str:
    received = b""
    while not received.endswith(b"\0"):
        part = conn.recv(4096)
        if not part:
            break
        received += part
        if len(received) > 4096:
            break
    return received.rstrip(b"\0").decode("utf-8", "replace").strip()
