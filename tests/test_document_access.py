"""Confidential-document rules without the engine: owner groups exist, durations parse, PDF negotiation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.routes.documents import _wants_pdf
from doorflow.identity import group_names
from doorflow.settings import Settings
from models.documents.access import Policy, parse_duration


def test_every_owner_group_of_a_document_category_is_an_engine_group() -> None:
    """The approval task's candidate group is ${ownerGroup}: each configured value must be a real group."""
    owners = Settings(_env_file=None).document_owner_groups
    assert set(owners) == {"contract", "project", "customer"}
    assert set(owners.values()) <= set(group_names())


def test_the_grant_duration_is_an_iso_duration() -> None:
    assert Policy.from_settings(Settings(_env_file=None)).grant == timedelta(hours=8)
    assert parse_duration("P1DT2H30M") == timedelta(days=1, hours=2, minutes=30)
    for bad in ("P", "PT", "8h", "P1W"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError):
        Settings(_env_file=None, document_access_grant_duration="8 hours")


@pytest.mark.parametrize(
    ("accept", "pdf"),
    [
        (None, False),
        ("text/html", False),
        ("*/*", False),
        ("application/pdf", True),
        ("application/pdf, text/html;q=0.5", True),
        ("text/html, application/pdf;q=0.9", False),
        ("application/pdf;q=0", False),
    ],
)
def test_content_negotiation_picks_pdf_only_when_preferred(accept: str | None, pdf: bool) -> None:
    assert _wants_pdf(accept) is pdf
