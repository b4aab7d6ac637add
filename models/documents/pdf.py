"""Documents as PDF: the stored HTML laid out by WeasyPrint with the Noto CJK fonts from Debian.

The fonts come from the Debian package ``fonts-noto-cjk`` (``./dev`` and the Dockerfile install it);
fontconfig finds them by family name. ``libharfbuzz-subset0`` lets WeasyPrint subset the large CJK
fonts in a tenth of a second (without it fontTools takes seconds per document). Chinese text is set
with the Simplified Chinese (SC) faces: Serif for the body, as contracts are printed.
"""

from __future__ import annotations

from functools import lru_cache

from weasyprint import CSS, HTML

from doorflow.settings import ROOT

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


def render_pdf(html: str) -> bytes:
    """The PDF of one stored document (A4, page numbers, Noto CJK fonts embedded as subsets)."""
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(stylesheets=[_print_css()])
    return pdf
