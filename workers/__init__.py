"""External-task workers: one module per BPMN topic, each a thin edge over a service in ``models``."""
