"""After signing: handover sheet and confirmations, shipment, acceptance, follow-up visit."""
