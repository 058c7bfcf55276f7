"""Where documents' bytes live: a folder outside the web root by default, an S3-compatible bucket where set.

Both address a file by the SHA-256 of its content, so the same file uploaded twice is stored once, a
stored file is never overwritten, and no name a person typed ever reaches a path or a key.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from engine.config import DocumentSettings
from engine.errors import NotFound


class DocumentStore(Protocol):
    """Keeps bytes by content hash."""

    name: str

    def put(self, sha256: str, data: bytes) -> None: ...
    def get(self, sha256: str) -> bytes: ...


def content_hash(data: bytes) -> str:
    """The SHA-256 of a file's bytes, in hex: the file's address in every store."""
    return hashlib.sha256(data).hexdigest()


def _checked(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("a document is addressed by a SHA-256 in hex")
    return sha256


class FolderStore:
    """Files in a folder, fanned out by the first two hex digits of their hash; written atomically."""

    name = "folder"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        sha256 = _checked(sha256)
        return self.root / sha256[:2] / sha256

    def put(self, sha256: str, data: bytes) -> None:
        """Store ``data`` unless a file with this hash is already there."""
        path = self._path(sha256)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def get(self, sha256: str) -> bytes:
        """The stored bytes; NotFound when the file is missing."""
        path = self._path(sha256)
        if not path.is_file():
            raise NotFound("The document's file is missing from the store")
        return path.read_bytes()


class BucketStore:
    """Objects in an S3-compatible bucket (boto3), keyed ``documents/<hash>``; server-side encrypted."""

    name = "s3"

    def __init__(self, bucket: str, endpoint: str | None = None, client=None) -> None:
        import boto3

        self.bucket = bucket
        self.client = client or boto3.client("s3", endpoint_url=endpoint)

    @staticmethod
    def _key(sha256: str) -> str:
        return f"documents/{_checked(sha256)}"

    def put(self, sha256: str, data: bytes) -> None:
        """Store ``data`` (an object with this hash already there is left as it is)."""
        self.client.put_object(Bucket=self.bucket, Key=self._key(sha256), Body=data,
                               ChecksumSHA256=_base64_sha256(data), ServerSideEncryption="AES256")

    def get(self, sha256: str) -> bytes:
        """The stored bytes; NotFound when the object is missing."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))
        except self.client.exceptions.NoSuchKey as exc:
            raise NotFound("The document's file is missing from the store") from exc
        return answer["Body"].read()


def _base64_sha256(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def open_store(settings: DocumentSettings) -> DocumentStore:
    """The configured store: the bucket when one is set, else the folder."""
    if settings.bucket:
        return BucketStore(settings.bucket, settings.endpoint)
    return FolderStore(settings.folder)
