"""One module per task type; each exposes ``TASK_TYPE`` and ``handle(session, variables)``."""
