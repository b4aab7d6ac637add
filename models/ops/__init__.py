"""Operations: this database's identity and the liveness of the worker processes."""
