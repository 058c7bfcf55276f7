"""The engine's runtime: one workflow step as one transaction (``steps``), instances (start, message,
suspend, terminate), the parsed-version cache, which version a start runs, the start outbox, the operation
registry that BPMN service tasks call, idempotent retries, and ``Services``, what every use case is given.
"""
