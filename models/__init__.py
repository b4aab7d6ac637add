"""doorflow's domain core: tables, schemas and services shared by the API and the workers.

Services take a Session and never commit: the edge (route or worker handler) owns the transaction.
"""
