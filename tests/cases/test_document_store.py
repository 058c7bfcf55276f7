"""The two document stores against real servers and folders: a folder, and an S3 bucket on moto's server."""

from __future__ import annotations

import pytest
from moto.server import ThreadedMotoServer

from engine.cases.document_store import BucketStore, FolderStore, content_hash
from engine.errors import NotFound
from tests.support.boundaries import free_port

DATA = b"%PDF-1.4\nfictional minutes\n%%EOF\n"


def test_the_folder_store_keeps_a_file_once_by_its_hash(tmp_path):
    store, sha = FolderStore(tmp_path), content_hash(DATA)
    store.put(sha, DATA)
    store.put(sha, DATA)
    assert store.get(sha) == DATA
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [sha]
    with pytest.raises(NotFound):
        store.get(content_hash(b"other"))
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


@pytest.fixture
def s3(monkeypatch):
    """moto's standalone S3-compatible server on loopback, with a bucket."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-west-2"}.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    store = BucketStore("case-documents", endpoint)
    store.client.create_bucket(Bucket="case-documents",
                               CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    yield store
    server.stop()


def test_the_bucket_store_keeps_a_file_by_its_hash(s3):
    sha = content_hash(DATA)
    s3.put(sha, DATA)
    assert s3.get(sha) == DATA
    listed = s3.client.list_objects_v2(Bucket="case-documents")["Contents"]
    assert [o["Key"] for o in listed] == [f"documents/{sha}"]
    with pytest.raises(NotFound):
        s3.get(content_hash(b"other"))
