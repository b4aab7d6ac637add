"""Happy-path answers of simulated staff, one module per domain (see ``doorflow.staff``)."""
