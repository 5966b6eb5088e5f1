"""The content-addressed store: bytes kept under their SHA-256, behind one small interface.

An upload is first written to a temporary file under `<path>/tmp` (its name carries the host and process id),
hashed as it is written and fsynced; only a complete, checked file is then *adopted*: renamed into
`<path>/objects/ab/cd/<sha256>` (local disk; the directory is fsynced too) or uploaded to the bucket under
that key (S3). A crash leaves at most a temporary file, never an object under an address; `sweep()` removes
the temporary files of processes that are gone. The same bytes are stored once, however many documents
name them.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024
HEAD = 8192


class TooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


@dataclass
class Staged:
    """A complete upload in a temporary file: its hash, size and first bytes (to tell its type)."""

    path: Path
    sha256: str
    size: int
    head: bytes

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class Store(Protocol):
    """Where the bytes live. `adopt` takes a staged file in; the rest read or remove by hash."""

    def adopt(self, staged: Staged) -> None: ...
    def exists(self, sha256: str) -> bool: ...
    def open(self, sha256: str) -> Iterator[bytes]: ...
    def delete(self, sha256: str) -> None: ...
    def listing(self) -> Iterator[tuple[str, float]]: ...


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Staging:
    """The temporary area every backend writes uploads to first (always local disk)."""

    def __init__(self, root: str | Path):
        self.tmp = Path(root) / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._prefix = f"{socket.gethostname()}-{os.getpid()}-"

    def write(self, source: BinaryIO | Iterable[bytes], limit: int) -> Staged:
        """Copy `source` to a temporary file, hashing it; TooLarge (and nothing kept) past `limit` bytes."""
        path = self.tmp / f"{self._prefix}{secrets.token_hex(8)}.part"
        digest, size, head = hashlib.sha256(), 0, b""
        chunks = iter(lambda: source.read(CHUNK), b"") if hasattr(source, "read") else iter(source)
        try:
            # hashing runs in a helper thread while the previous chunk is written (hashlib releases the GIL):
            # on a slow CPU the two together take about the time of the slower one, not their sum
            with path.open("xb") as out, ThreadPoolExecutor(1) as hasher:
                pending = None
                for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(limit)
                    if len(head) < HEAD:
                        head += chunk[:HEAD - len(head)]
                    if pending is not None:
                        pending.result()
                    pending = hasher.submit(digest.update, chunk)
                    out.write(chunk)
                if pending is not None:
                    pending.result()
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Staged(path, digest.hexdigest(), size, head)

    def sweep(self) -> list[Path]:
        """Remove temporary files left by processes of this host that no longer run; return them."""
        host = socket.gethostname()
        removed = []
        for path in self.tmp.glob("*.part"):
            name_host, _, rest = path.name.rpartition("-")[0].rpartition("-")
            if name_host != host or not rest.isdigit():
                continue
            try:
                os.kill(int(rest), 0)
                continue  # still running: its upload may be under way
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed


class LocalStore:
    """Objects on local disk under `<root>/objects/ab/cd/<sha256>`."""

    def __init__(self, root: str | Path):
        self.root = Path(root) / "objects"
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def adopt(self, staged: Staged) -> None:
        target = self.path(staged.sha256)
        if target.exists():  # the same bytes are there already
            staged.discard()
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)  # atomic: the address holds the whole file or nothing
        _fsync_dir(target.parent)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def open(self, sha256: str) -> Iterator[bytes]:
        with self.path(sha256).open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def listing(self) -> Iterator[tuple[str, float]]:
        """(sha256, last written as a POSIX time) of every stored object."""
        for path in self.root.glob("??/??/*"):
            if len(path.name) == 64:
                try:
                    yield path.name, path.stat().st_mtime
                except FileNotFoundError:  # deleted meanwhile
                    continue


class S3Store:
    """Objects in a bucket of an S3-compatible server, under the key `objects/<sha256>` (boto3)."""

    def __init__(self, *, bucket: str, endpoint: str = "", region: str = "us-east-1", access_key: str = "",
                 secret_key: str = ""):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3", endpoint_url=endpoint or None, region_name=region, aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))

    def ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    @staticmethod
    def key(sha256: str) -> str:
        return f"objects/{sha256}"

    def adopt(self, staged: Staged) -> None:
        if not self.exists(staged.sha256):
            import base64

            checksum = base64.b64encode(bytes.fromhex(staged.sha256)).decode()
            with staged.path.open("rb") as fh:  # the server checks the hash: a torn upload is refused
                self.client.put_object(Bucket=self.bucket, Key=self.key(staged.sha256), Body=fh,
                                       ChecksumSHA256=checksum)
        staged.discard()

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def open(self, sha256: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))

    def listing(self) -> Iterator[tuple[str, float]]:
        """(sha256, last written as a POSIX time) of every stored object."""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="objects/"):
            for item in page.get("Contents", ()):
                yield item["Key"].rsplit("/", 1)[-1], item["LastModified"].timestamp()


def make_store(ds) -> Store:
    """The store the settings name (engine.documents.config.DocumentSettings)."""
    if ds.backend == "s3":
        return S3Store(bucket=ds.s3_bucket, endpoint=ds.s3_endpoint, region=ds.s3_region,
                       access_key=ds.s3_access_key, secret_key=ds.s3_secret_key)
    return LocalStore(ds.path)
