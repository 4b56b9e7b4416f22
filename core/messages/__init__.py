"""Queue messages as data: the envelope, event types, their JSON Schemas, the secret scrubber
and the splitter. Pure: the store writes them to its outbox, ``core.queue`` publishes them.
"""
