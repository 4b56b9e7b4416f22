"""Publishing the outbox to SQS: the only package that imports boto3.

``sqs`` (the adapter), ``worker`` (the testable drain loop; ``python -m core.queue.worker``),
``consumer``, ``supervisor`` (the embedded worker), ``health``, ``local_server`` (moto on
loopback for the demo) and ``view`` (the Queues page's read model).
"""
