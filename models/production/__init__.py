"""Production: plans with stages, craft documents, materials, suppliers, purchasing, inspections, delays."""
