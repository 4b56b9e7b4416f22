"""The boto3 adapter for SQS: the only module beside core/queue/worker.py that imports boto3.

It knows three things the rest of CI Medic should not: how to build a client that never probes
the EC2 instance-metadata address when no AWS is configured (a local server gets dummy keys),
how to make sure a queue exists (FIFO attributes included), and how SQS fails. Every botocore
error is translated here into a :class:`core.errors.PublishError` subclass that says what the
worker should do about it:

- :class:`SqsUnavailable`: transport or server trouble (or no credentials). Retry later; never
  the message's fault, so never a dead letter.
- :class:`QueueMissing`: the queue vanished (a restarted local server). Re-create and retry.
- :class:`BatchRejected`: SQS refused the whole request for a sender fault (one bad message
  fails a batch). Retry the entries one by one to find the culprit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
)

from core.config import Settings
from core.errors import PublishError

__all__ = [
    "SqsUnavailable",
    "QueueMissing",
    "BatchRejected",
    "Entry",
    "EntryFailure",
    "BatchResult",
    "Received",
    "SqsAdapter",
    "pack_batches",
    "aws_configured",
    "is_local_endpoint",
    "make_client",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ENTRIES",
]

MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
_MISSING = {"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"}
_TRANSIENT = {
    "Throttling",
    "ThrottlingException",
    "RequestThrottled",
    "ServiceUnavailable",
    "InternalError",
    "InternalFailure",
    "KmsThrottled",
    "RequestTimeout",
    "AccessDenied",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidSecurity",
    "KMS.DisabledException",
    "KMS.KMSInvalidStateException",
}


class SqsUnavailable(PublishError):
    """SQS cannot be reached or refuses the caller; the messages wait in the outbox."""


class QueueMissing(PublishError):
    """The queue does not exist (and may be created when creating queues is allowed)."""


class BatchRejected(PublishError):
    """SQS refused the whole request because of what it carried (a sender fault)."""


@dataclass(frozen=True)
class Entry:
    """One SQS message to send; ``id`` is unique within a batch ([A-Za-z0-9_-], <= 80 chars)."""

    id: str
    body: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    group_id: str | None = None
    dedup_id: str | None = None

    @property
    def size(self) -> int:
        """Bytes SQS counts against the 256 KiB limit: body plus attribute names/types/values."""
        attrs = sum(
            len(k.encode()) + len("String") + len(v.encode()) for k, v in self.attributes.items()
        )
        return len(self.body.encode("utf-8")) + attrs


@dataclass(frozen=True)
class EntryFailure:
    code: str
    message: str
    sender_fault: bool


@dataclass
class BatchResult:
    ok: list[str] = field(default_factory=list)
    failed: dict[str, EntryFailure] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    body: str
    receipt: str
    attributes: Mapping[str, str]


def pack_batches(
    entries: Sequence[Entry], max_count: int = MAX_BATCH_ENTRIES, max_bytes: int = MAX_BATCH_BYTES
) -> list[list[Entry]]:
    """Greedy, order-keeping packing into batches of <= max_count entries and <= max_bytes."""
    batches: list[list[Entry]] = []
    current: list[Entry] = []
    size = 0
    for entry in entries:
        if current and (len(current) >= max_count or size + entry.size > max_bytes):
            batches.append(current)
            current, size = [], 0
        current.append(entry)
        size += entry.size
    if current:
        batches.append(current)
    return batches


def is_local_endpoint(url: str | None) -> bool:
    host = (urlparse(url).hostname or "") if url else ""
    return host in {"127.0.0.1", "localhost", "::1"} or host.startswith("127.")


def aws_configured(env: Mapping[str, str] | None = None) -> bool:
    """True when some AWS credential source is configured, checked without asking boto3.

    Asking boto3 would walk the credential chain, whose last step probes 169.254.169.254.
    """
    env = os.environ if env is None else env
    keys = (
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    )
    if any(env.get(k) for k in keys):
        return True
    files = [
        env.get("AWS_SHARED_CREDENTIALS_FILE"),
        env.get("AWS_CONFIG_FILE"),
        str(Path.home() / ".aws" / "credentials"),
        str(Path.home() / ".aws" / "config"),
    ]
    return any(f and Path(f).is_file() for f in files)


def make_client(settings: Settings) -> Any:
    """A boto3 SQS client for ``settings``; never probes instance metadata without AWS config."""
    endpoint = settings.sqs_endpoint_url or None
    local = is_local_endpoint(endpoint)
    kwargs: dict[str, Any] = {}
    if not aws_configured():
        os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
        if local:
            kwargs.update(aws_access_key_id="testing", aws_secret_access_key="testing")
    config = Config(
        region_name=settings.sqs_region or "us-east-1",
        connect_timeout=3,
        read_timeout=30,
        max_pool_connections=4,
        retries={"mode": "standard", "max_attempts": 1 if local else 3},
    )
    return boto3.session.Session().client("sqs", endpoint_url=endpoint, config=config, **kwargs)


@contextmanager
def _translated(action: str, queue: str) -> Iterator[None]:
    """Turn botocore errors into PublishError subclasses at the edge."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        text = f"SQS {action} on {queue} failed: {code}: {error.get('Message', '')}".strip()
        if code in _MISSING or error.get("QueryErrorCode") in _MISSING:
            raise QueueMissing(f"The queue {queue} does not exist.") from None
        if code in _TRANSIENT or status >= 500 or error.get("Type") == "Receiver":
            raise SqsUnavailable(text) from None
        raise BatchRejected(text) from None
    except ParamValidationError as exc:
        raise BatchRejected(f"SQS {action} on {queue}: invalid request: {exc}") from None
    except NoCredentialsError:
        raise SqsUnavailable(
            "No AWS credentials are configured: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or point CI_MEDIC_SQS_ENDPOINT_URL at an "
            "SQS-compatible server."
        ) from None
    except BotoCoreError as exc:
        raise SqsUnavailable(f"SQS is unreachable ({action} on {queue}): {exc}") from None


class SqsAdapter:
    """Queue-name based operations; queue URLs are looked up once and cached."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self.client = client if client is not None else make_client(settings)
        self._urls: dict[str, str] = {}

    def queue_url(self, name: str, create: bool | None = None) -> str:
        """The queue's URL; creates it when missing and allowed (``sqs_create_queues``).

        :calls: ``GetQueueUrl``, then ``CreateQueue`` when it does not exist.
        """
        if name in self._urls:
            return self._urls[name]
        create = self.settings.sqs_create_queues if create is None else create
        try:
            with _translated("GetQueueUrl", name):
                url = self.client.get_queue_url(QueueName=name)["QueueUrl"]
        except QueueMissing:
            if not create:
                raise QueueMissing(
                    f"The queue {name} does not exist and creating queues is "
                    "off (CI_MEDIC_SQS_CREATE_QUEUES=false)."
                ) from None
            attributes = (
                {"FifoQueue": "true", "ContentBasedDeduplication": "false"}
                if name.endswith(".fifo")
                else {}
            )
            with _translated("CreateQueue", name):
                url = self.client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self._urls[name] = url
        return url

    def forget(self, name: str) -> None:
        self._urls.pop(name, None)

    def send_batch(self, name: str, entries: Sequence[Entry]) -> BatchResult:
        """Send <= 10 entries in one request. :calls: ``SendMessageBatch``."""
        url = self.queue_url(name)
        request = [_entry_request(e) for e in entries]
        with _translated("SendMessageBatch", name):
            response = self.client.send_message_batch(QueueUrl=url, Entries=request)
        result = BatchResult(ok=[item["Id"] for item in response.get("Successful", [])])
        for item in response.get("Failed", []):
            result.failed[item["Id"]] = EntryFailure(
                str(item.get("Code", "")),
                str(item.get("Message", "")),
                str(item.get("SenderFault", "")).lower() == "true",
            )
        return result

    def receive(
        self, name: str, max_messages: int = 10, wait_s: int = 1, visibility_s: int = 30
    ) -> list[Received]:
        """:calls: ``ReceiveMessage`` (long polling up to ``wait_s``)."""
        url = self.queue_url(name, create=False)
        with _translated("ReceiveMessage", name):
            response = self.client.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=max(1, min(10, max_messages)),
                WaitTimeSeconds=wait_s,
                VisibilityTimeout=visibility_s,
                MessageAttributeNames=["All"],
            )
        return [
            Received(
                m["Body"],
                m["ReceiptHandle"],
                {
                    k: v.get("StringValue", "")
                    for k, v in (m.get("MessageAttributes") or {}).items()
                },
            )
            for m in response.get("Messages", [])
        ]

    def delete(self, name: str, receipts: Sequence[str]) -> None:
        """:calls: ``DeleteMessageBatch`` (10 receipts per request)."""
        self._per_receipt_batches(
            name, receipts, "DeleteMessageBatch", self.client.delete_message_batch
        )

    def release(self, name: str, receipts: Sequence[str]) -> None:
        """Make received messages visible again now rather than after their visibility
        timeout (a consumer stopping with parts it cannot use yet hands them back).
        :calls: ``ChangeMessageVisibilityBatch`` (10 receipts per request)."""
        self._per_receipt_batches(
            name,
            receipts,
            "ChangeMessageVisibilityBatch",
            self.client.change_message_visibility_batch,
            VisibilityTimeout=0,
        )

    def _per_receipt_batches(
        self,
        name: str,
        receipts: Sequence[str],
        operation: str,
        call: Callable[..., Any],
        **per_entry: Any,
    ) -> None:
        """Send ``receipts`` to a batch ``call`` in requests of at most 10 entries."""
        url = self.queue_url(name, create=False)
        for start in range(0, len(receipts), MAX_BATCH_ENTRIES):
            chunk = receipts[start : start + MAX_BATCH_ENTRIES]
            with _translated(operation, name):
                call(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": r, **per_entry} for i, r in enumerate(chunk)
                    ],
                )

    def purge(self, name: str) -> None:
        """Drop every message of the queue. :calls: ``PurgeQueue``."""
        url = self.queue_url(name, create=False)
        with _translated("PurgeQueue", name):
            self.client.purge_queue(QueueUrl=url)

    def depth(self, name: str) -> int:
        """Messages visible in the queue. :calls: ``GetQueueAttributes``."""
        url = self.queue_url(name, create=False)
        with _translated("GetQueueAttributes", name):
            attrs = self.client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
        return int(attrs.get("ApproximateNumberOfMessages", 0))


def _entry_request(entry: Entry) -> dict[str, Any]:
    request: dict[str, Any] = {
        "Id": entry.id,
        "MessageBody": entry.body,
        "MessageAttributes": {
            k: {"DataType": "String", "StringValue": v} for k, v in entry.attributes.items() if v
        },
    }
    if entry.group_id:
        request["MessageGroupId"] = entry.group_id
    if entry.dedup_id:
        request["MessageDeduplicationId"] = entry.dedup_id
    return request
