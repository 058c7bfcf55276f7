"""The route operations: what a BPMN service task of the shipped routes does, by topic.

Each module registers its topics on ``engine.runtime.operations.OPERATIONS`` when imported (the
composition root imports ``builtin``). An operation runs inside the step's transaction and reaches
case records only through ``ctx.cases`` (the ``CaseRecords`` interface), never a use case directly.
"""
