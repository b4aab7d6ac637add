"""``./dev bench``: the lifecycle benchmark on a real stack of its own (not part of the test run).

``run.py`` starts embedded PostgreSQL, Operaton node(s), the workers and the API and runs the phases;
``driver.py`` plays the staff, the other systems and the clock; ``probe.py`` reads CPU, memory and
store commits; ``report.py`` holds the pure helpers (percentiles, targets, the table).
"""
