"""Change requests (policy 001 §3.4): the customer changes a running order; assessed, reviewed, applied or rejected."""
