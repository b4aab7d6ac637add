"""Excel (.xlsx) export of a dashboard table: Chinese headers, typed cells (numbers, dates, percentages).

Text never becomes a formula: a customer named ``=HYPERLINK(...)`` or ``=1+1`` is stored as the text it is
(a string cell with Excel's quote prefix, so editing it in Excel keeps it text), as is any text that starts
with a character spreadsheets read as the start of a formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from api.dashboard.panels import Column

# What a spreadsheet may take for the start of a formula (OWASP "CSV injection"; = is openpyxl's own trigger).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {"rate": "0.00%", "money": "#,##0.00", "number": "0.00", "date": "yyyy-mm-dd", "int": "0"}


def workbook(title: str, columns: Sequence[Column], rows: Sequence[dict[str, Any]], filters: dict[str, str]) -> bytes:
    """One sheet: the header row, then one row per table row (Decimal and date cells stay numbers and dates);
    a second sheet 筛选条件 names the filters the table was made with."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit for sheet names
    sheet.append([c.title for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(c.key) for c in columns])
    for index, column in enumerate(columns, start=1):
        fmt = FORMATS.get(column.kind)
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, 2 * len(column.title) + 4)
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
    info = book.create_sheet("筛选条件")
    names = {"start": "开始日期", "end": "结束日期", "salesperson": "业务员", "department": "部门"}
    info.append(["条件", "值"])
    for key, value in filters.items():
        info.append([names.get(key, key), value])
    for each in (sheet, info):
        _text_stays_text(each)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _text_stays_text(sheet: Worksheet) -> None:
    """Every text cell that looks like a formula is stored as text (data type ``s``), shown with a quote prefix."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                cell.quotePrefix = True
