"""One module per task type; each exposes ``TASK_TYPE``, ``business_key(variables)`` and ``handle(ctx, variables)``."""
