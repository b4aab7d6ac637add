"""Sales contracts: versions drafted from the template, legal review, the customer's signature."""
