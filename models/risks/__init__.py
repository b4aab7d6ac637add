"""The per-order risk register (policies 001 §5, 000 §7)."""
