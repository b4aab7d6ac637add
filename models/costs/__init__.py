"""Cost budget vs actual per order (policy 001 §7)."""
