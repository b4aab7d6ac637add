"""The managers' KPI dashboard (经营看板): a page of panels (chart + table + Excel export) over the report services.

``panels.py`` declares every panel and every drill-down list; ``routes`` in ``api/routes/dashboard.py`` serve
them generically, so a new panel is one ``Panel(...)`` entry in ``PANELS``.
"""
