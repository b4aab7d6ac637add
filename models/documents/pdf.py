"""Documents as PDF: the stored HTML laid out by WeasyPrint with the Noto CJK fonts from Debian.

The fonts come from the Debian package ``fonts-noto-cjk`` (``./dev`` and the Dockerfile install it);
fontconfig finds them by family name. ``libharfbuzz-subset0`` lets WeasyPrint subset the large CJK
fonts in a tenth of a second (without it fontTools takes seconds per document). Chinese text is set
with the Simplified Chinese (SC) faces: Serif for the body, as contracts are printed.
"""

from __future__ import annotations

import gc
import threading
from functools import lru_cache

from weasyprint import CSS, HTML

from doorflow.settings import ROOT, get_settings

TEMPLATES = ROOT / "templates"

# The font families the PDFs must be set in; tests check that every glyph of a PDF comes from them.
CJK_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")

PRINT_CSS = """
@page {
  size: A4;
  margin: 18mm 16mm 20mm 16mm;
  @bottom-center { content: "第 " counter(page) " 页，共 " counter(pages) " 页";
                   font-family: "Noto Sans CJK SC"; font-size: 8pt; color: #555; }
}
html { font-family: "Noto Serif CJK SC", serif; font-size: 10.5pt; }
body { margin: 0; }
h1, h2, th { font-family: "Noto Sans CJK SC", sans-serif; }
table { page-break-inside: auto; font-size: 9pt; }
tr { page-break-inside: avoid; }
"""


@lru_cache
def _print_css() -> CSS:
    return CSS(string=PRINT_CSS)


@lru_cache
def _layouts() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(get_settings().pdf_render_concurrency)


def render_pdf(html: str) -> bytes:
    """The PDF of one stored document (A4, page numbers, Noto CJK fonts embedded as subsets).

    A layout leaves cyclic garbage that holds large native buffers (fonts, Pango layouts) but few Python
    objects, so the collector's counts would let it pile up: measured, 11 documents in a row grew a process
    from 90 to 790 MB without the collection below and stayed at 105 MB with it.
    """
    with _layouts():
        try:
            pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(stylesheets=[_print_css()])
        finally:
            gc.collect()
    return pdf
