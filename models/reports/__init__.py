"""Reports across domains: the order KPIs of policy 000 §5.3 / 001 §10 (REQUIREMENTS §12)."""
