"""Zeebe job workers: one module per BPMN task type, each a thin edge over a service in ``models``."""
