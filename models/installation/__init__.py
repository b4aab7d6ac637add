"""Installation: schedule, pre-install checks, replacement goods, inspections, completion."""
