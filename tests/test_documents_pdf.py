"""Every document kind as PDF: rendered from its template, rasterised to PNG pages, its text checked.

Each template in templates/ is rendered with a realistic context (tests/document_samples.py), laid out as
PDF exactly as ``documents.store`` does, then read back with PDFium: the extracted text must hold the
title, the customer and the amounts in Chinese capitals; every character of the document must come
back from the PDF (a missing glyph would be lost or come back as a replacement), and every glyph must be
set in an embedded Noto CJK font. The PNG pages are kept in test-artifacts/documents/.
"""

from __future__ import annotations

import ctypes
import re
from html.parser import HTMLParser
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from sqlalchemy.orm import Session, sessionmaker

from doorflow.settings import ROOT
from models.documents import service as documents
from models.documents.pdf import render_pdf
from models.documents.tables import Document, DocumentCategory
from tests.document_samples import CUSTOMER, Sample, samples

ARTIFACTS = ROOT / "test-artifacts" / "documents"
TEMPLATES = sorted(p.name for p in (ROOT / "templates").glob("*.html.j2") if not p.name.startswith("_"))
SAMPLES = {s.template: s for s in samples()}
NOTO_CJK = re.compile(r"^[A-Z]{6}\+Noto-(Serif|Sans)-CJK-SC(-Bold)?$")


class _Text(HTMLParser):
    """The visible text of an HTML document (the body; no <title> or <style>)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("head", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def _font_name(textpage: pdfium.PdfTextPage, index: int) -> str:
    size = pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, None, 0, None)
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buffer, size, None)
    return buffer.value.decode("utf-8", "replace")


def read_back(pdf: bytes, stem: str) -> tuple[str, set[str]]:
    """The PDF's text and the fonts of its characters; each page saved as a PNG artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{stem}-p*.png"):
        old.unlink()
    document = pdfium.PdfDocument(pdf)
    texts, fonts = [], set()
    try:
        for number in range(len(document)):
            page = document[number]
            page.render(scale=150 / 72).to_pil().save(ARTIFACTS / f"{stem}-p{number + 1}.png")
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            for i in range(textpage.count_chars()):
                if not textpage.get_text_range(i, 1).isspace():
                    fonts.add(_font_name(textpage, i))
    finally:
        document.close()
    return "\n".join(texts), fonts


def test_every_template_has_a_sample() -> None:
    assert TEMPLATES and sorted(SAMPLES) == TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_document_kind_renders_as_a_pdf_with_its_chinese_text(template: str) -> None:
    sample: Sample = SAMPLES[template]
    html = documents.render(template, sample.context)
    pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF-")
    stem = template.removesuffix(".html.j2")
    text, fonts = read_back(pdf, stem)

    flat = re.sub(r"\s+", "", text)
    for expected in (sample.title, *((CUSTOMER,) if sample.names_the_customer else ()), *sample.expected):
        assert re.sub(r"\s+", "", expected) in flat, f"{template}: {expected!r} is not in the PDF's text"
    # No glyph missing: every character of the document comes back from the PDF, none as a replacement.
    wanted = {ch for ch in visible_text(html) if not ch.isspace()}
    got = set(flat)
    assert not wanted - got, f"{template}: characters missing from the PDF: {sorted(wanted - got)}"
    assert "\ufffd" not in text
    # Every glyph is set in an embedded (subset) Noto CJK SC face from fonts-noto-cjk.
    assert fonts and all(NOTO_CJK.match(f) for f in fonts), f"{template}: fonts {sorted(fonts)}"
    assert sorted(ARTIFACTS.glob(f"{stem}-p*.png")), "no PNG page kept"


def test_a_stored_document_has_its_pdf_and_a_new_version_keeps_the_old(sessions: sessionmaker[Session]) -> None:
    sample = SAMPLES["settlement-notice.html.j2"]
    with sessions() as s, s.begin():
        stored = [
            documents.store(
                s,
                subject="installment:pdf-test",
                kind="settlement_notice",
                category=DocumentCategory.CUSTOMER,
                title="结算通知单（测试）",
                template=sample.template,
                context=sample.context,
                actor="test",
            )
            for _ in range(2)
        ]
        first, second = stored
        assert (first.version, second.version) == (1, 2)
        assert first.pdf_filename == "settlement_notice-installment-pdf-test-v1.pdf"
        assert second.pdf_filename == "settlement_notice-installment-pdf-test-v2.pdf"
        s.flush()
        s.expire_all()
        for doc in (s.get(Document, first.id), s.get(Document, second.id)):
            assert doc is not None and doc.pdf is not None and doc.pdf.startswith(b"%PDF-")
            assert doc.category == DocumentCategory.CUSTOMER
            text, _ = read_back(doc.pdf, f"stored-v{doc.version}")
            assert "人民币肆万肆仟柒佰玖拾肆元捌角" in re.sub(r"\s+", "", text)
        s.rollback()
    for png in Path(ARTIFACTS).glob("stored-v*.png"):
        png.unlink()
