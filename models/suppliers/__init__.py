"""Supplier scorecards: facts per supplier over a period, a score, and a class decided by DMN supplier-class."""
