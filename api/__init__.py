"""The HTTP door for other systems (shop front, CRM, finance, hotline)."""
