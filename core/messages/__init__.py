"""Queue messages as data: the envelope, event types, their JSON Schemas, the secret scrubber
(``redact``: also applied to every log before it is stored) and the splitter. Pure: the store
writes them to its outbox, ``core.queue`` publishes them.
"""
