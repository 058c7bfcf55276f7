"""Information governance: the tamper-evident audit chain, retention and disposal, legal holds and
subject access exports (docs/governance.md)."""
