"""Documents: rendered from Jinja2 templates in ``templates/``, stored, listed per order, downloaded."""
