"""A faster <sheetData> for XlsxWriter 3.3.1 (issue 20, item 4): the same XML, fewer Python calls per cell.

XlsxWriter writes each cell with `Worksheet._write_cell`: a list of attribute pairs, the cell's reference
computed, the format's index asked for, each attribute passed through the escaper (a regular expression on
strings, an exception on numbers), the class name compared with strings, and one `write` per cell — ≈ 6–8 µs
a cell, ≈ 0.4 s of the whole institution's ledgers (≈ 107 thousand cells). `FastWorksheet` writes the cells
XlsxWriter stores in its table (numbers, dates, shared strings, rich strings, blanks) with one f-string each
— the row's number as a string once per row, the column letters and ` s="N"` of each format once per sheet —
and one `write` per row; anything else (formulas, booleans, errors, array formulas) and every row tag go
through XlsxWriter's own methods, so the bytes are those of the stock worksheet
(tests/test_xlsx_sheet.py compares every XML part of real reports). `constant_memory` books keep the stock
path. Used by reports/xlsx.py `Book` only.

Pinned to XlsxWriter==3.3.1 (requirements.txt): the cell tuples and the row walk below mirror its
`_write_rows`/`_write_cell`; `supported()` refuses any other version, and then the stock writer runs.
"""
from decimal import Decimal

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.exceptions import OverlappingRange
from xlsxwriter.worksheet import (CellBlankTuple, CellDatetimeTuple, CellNumberTuple, CellRichStringTuple,
                                  CellStringTuple, ColumnInfo, Worksheet)

VERSION = "3.3.1"

_COLUMNS = []  # the letters of columns 0, 1, … (see _letters)
_FORMULAS = {}  # (formula, expand_future_functions, use_future_functions) → Worksheet._prepare_formula's result
_FORMULAS_MAX = 4096
_INF = float("inf")


def supported():
    return xlsxwriter.__version__ == VERSION


def _letters(upto):
    """The letters of columns 0 … `upto` (at least): a new list when the known one is short, never appended
    to, so that two threads writing books at once never see it half grown."""
    global _COLUMNS
    known = _COLUMNS
    if len(known) <= upto:
        known = _COLUMNS = [xl_col_to_name(col) for col in range(max(upto + 1, 2 * len(known), 256))]
    return known


class FastWorksheet(Worksheet):
    """XlsxWriter's Worksheet whose <sheetData> is written faster (see the module's docstring)."""

    def _escape_attributes(self, attribute):
        # XMLwriter._escape_attributes returns a number as it is after its regular expression raised TypeError
        # (an exception for every numeric attribute: widths, indexes, heights); the same without the raise.
        if attribute.__class__ is int or attribute.__class__ is float:
            return attribute
        return super()._escape_attributes(attribute)

    def _escape_data(self, data):
        if data.__class__ is int or data.__class__ is float:
            return data
        return super()._escape_data(data)

    def _prepare_formula(self, formula, expand_future_functions=False):
        # ≈ 150 regular expressions (the future functions' prefixes) per formula — each blank rule of each
        # sheet (render.py `_blank_rule`) asks again for the same few: the stock result, remembered.
        if formula.__class__ is not str:
            return super()._prepare_formula(formula, expand_future_functions)
        key = (formula, bool(expand_future_functions), bool(self.use_future_functions))
        got = _FORMULAS.get(key)
        if got is None:
            got = super()._prepare_formula(formula, expand_future_functions)
            if len(_FORMULAS) < _FORMULAS_MAX:
                _FORMULAS[key] = got
        return got

    def write_string(self, *args, **kwargs):
        # Worksheet.write_string → its A1 wrapper → _write_string → _check_dimensions and the shared strings'
        # _get_shared_string_index, in one call for write_string(row, col, string[, format]) with int row and
        # column and a string under half of Excel's limit; anything else (A1 notation, keywords, a long
        # string, constant_memory) is the stock method's.
        if (kwargs or not 3 <= len(args) <= 4 or args[0].__class__ is not int or args[1].__class__ is not int
                or self.constant_memory or args[2].__class__ is not str or len(args[2]) > self.xls_strmax // 2):
            return super().write_string(*args, **kwargs)
        row, col, string = args[0], args[1], args[2]
        if row < 0 or col < 0 or row >= self.xls_rowmax or col >= self.xls_colmax:
            return -1
        # _check_dimensions: rows and columns apart (set_column(…, format) stores the columns alone)
        if self.dim_rowmin is None:
            self.dim_rowmin = self.dim_rowmax = row
        elif row < self.dim_rowmin:
            self.dim_rowmin = row
        elif row > self.dim_rowmax:
            self.dim_rowmax = row
        if self.dim_colmin is None:
            self.dim_colmin = self.dim_colmax = col
        elif col < self.dim_colmin:
            self.dim_colmin = col
        elif col > self.dim_colmax:
            self.dim_colmax = col
        strings = self.str_table
        index = strings.string_table.get(string)
        if index is None:
            index = strings.string_table[string] = strings.unique_count
            strings.unique_count += 1
        strings.count += 1
        self.table[row][col] = CellStringTuple(index, args[3] if len(args) == 4 else None)
        return 0

    def set_column(self, *args, **kwargs):
        # Worksheet.set_column(first_col, last_col, width) with int columns and an int or float width, no format
        # nor options (render.py sets every column's width so: ≈ 65 columns a ledger sheet, each its own
        # width): its pixels, its bounds check and one ColumnInfo per column, without the column decorator,
        # the options' dictionary and set_column_pixels. Anything else: the stock method.
        if (kwargs or len(args) != 3 or not supported() or args[0].__class__ is not int or args[1].__class__ is not int
                or (args[2].__class__ is not int and args[2].__class__ is not float)):
            return super().set_column(*args, **kwargs)
        first_col, last_col, width = args
        if width == 0.0:
            pixels = 0
        elif width < 1.0:
            pixels = int(width * (self.max_digit_width + self.cell_padding) + 0.5)
        else:
            pixels = int(width * self.max_digit_width + 0.5) + self.cell_padding
        if first_col > last_col:
            first_col, last_col = last_col, first_col
        if first_col < 0 or last_col >= self.xls_colmax:  # _check_dimensions(0, col, True, True) of both
            return -1
        self.outline_col_level = max(self.outline_col_level, 0)
        col_info = self.col_info
        for col in range(first_col, last_col + 1):
            col_info[col] = ColumnInfo(width=pixels, column_format=None, hidden=False, level=0, collapsed=False)
        self.col_size_changed = True
        return 0

    def _write_col_info(self, col_min, col_max, col_info):
        # Worksheet._write_col_info of a column with a width and nothing else (no format, not hidden, no
        # autofit, outline or collapse) and int bounds: the same <col/> in one f-string.
        width = col_info.width
        if (col_info.column_format or col_info.hidden or col_info.autofit or col_info.level or col_info.collapsed
                or width is None or not supported() or col_min.__class__ is not int or col_max.__class__ is not int
                or (width.__class__ is not int and width.__class__ is not float)):
            return super()._write_col_info(col_min, col_max, col_info)
        char_width = (width * 256 // self.max_digit_width) / 256.0
        custom = "" if width == self.default_col_width else ' customWidth="1"'
        self.fh.write(f'<col min="{col_min + 1}" max="{col_max + 1}" width="{char_width:.16g}"{custom}/>')

    def merge_range(self, *args, **kwargs):
        # Worksheet.merge_range(first_row, first_col, last_row, last_col, data[, format]) with int rows and columns:
        # its overlap checks, its first cell written by `_write` and the rest padded with the format's blank cells,
        # the range's reference from the column letters (XlsxWriter's xl_range: two look-ups of the letters a cell
        # of every cell of the range) — the headers' merges of the ledgers are 16 000 cells. A1 notation,
        # keywords, one cell, constant_memory: the stock method.
        if (kwargs or not 5 <= len(args) <= 6 or self.constant_memory
                or not all(arg.__class__ is int for arg in args[:4]) or (args[0] == args[2] and args[1] == args[3])):
            return super().merge_range(*args, **kwargs)
        first_row, first_col, last_row, last_col, data = args[:5]
        cell_format = args[5] if len(args) == 6 else None
        if first_row > last_row:
            first_row, last_row = last_row, first_row
        if first_col > last_col:
            first_col, last_col = last_col, first_col
        if self._check_dimensions(first_row, first_col) or self._check_dimensions(last_row, last_col):
            return -1
        letters = _letters(last_col)
        cell_range = f"{letters[first_col]}{first_row + 1}:{letters[last_col]}{last_row + 1}"
        merged, tables = self.merged_cells, self.table_cells
        cells = [(row, col) for row in range(first_row, last_row + 1) for col in range(first_col, last_col + 1)]
        for cell in cells:
            if merged.get(cell):
                raise OverlappingRange(f"Merge range '{cell_range}' overlaps previous merge range '{merged[cell]}'.")
            if tables.get(cell):
                raise OverlappingRange(f"Merge range '{cell_range}' overlaps previous table range '{tables[cell]}'.")
            merged[cell] = cell_range
        self.merge.append([first_row, first_col, last_row, last_col])
        self._write(first_row, first_col, data, cell_format)
        if cell_format is not None:  # _write_blank: within the dimensions just checked
            table, blank = self.table, CellBlankTuple(cell_format)
            for row, col in cells[1:]:
                table[row][col] = blank
        return 0

    def _write_merge_cell(self, merged_range):
        row_min, col_min, row_max, col_max = merged_range
        if not (row_min.__class__ is int and col_min.__class__ is int and row_max.__class__ is int
                and col_max.__class__ is int and 0 <= row_min and 0 <= col_min and 0 <= row_max and 0 <= col_max):
            return super()._write_merge_cell(merged_range)
        letters = _letters(max(col_min, col_max))
        self._xml_empty_tag("mergeCell", [("ref", f"{letters[col_min]}{row_min + 1}:{letters[col_max]}{row_max + 1}")])

    def write_row_values(self, row, values, formats, numeric, convert):
        """Write a table's row `values` from column 0, each with `formats[col]` (None beyond them), as one
        `write_string` / `write_number` a cell would (reports/render.py `_write_values`, the stock path): None
        and "" are not written; a str is a shared string; an int is a number; a float or Decimal is a number
        (as a float) in a column whose `numeric[col]` is true; anything else is `convert(col, value)` → str.
        The table's cells, the shared strings (in the same order) and the dimensions are those of the calls one
        by one; a string over half of Excel's limit, NaN or infinity, `constant_memory` or a row out of the
        sheet take the stock methods."""
        if self.constant_memory or row.__class__ is not int or not 0 <= row < self.xls_rowmax \
                or len(values) > self.xls_colmax:
            return self._write_row_values_stock(row, values, formats, numeric, convert)
        table = self.table
        created = row not in table
        cells = table[row]
        strings = self.str_table
        string_table = strings.string_table
        limit = self.xls_strmax // 2
        n_formats, n_numeric = len(formats), len(numeric)
        low = high = None
        # tuple.__new__(cls, (…)): the namedtuple's own __new__ without its Python frame (≈ 100 000 cells)
        new, string_t, number_t = tuple.__new__, CellStringTuple, CellNumberTuple
        count = 0  # shared strings written (strings.count, added once)
        for col, value in enumerate(values):
            cls = value.__class__
            if cls is str:
                if not value:
                    continue
            elif value is None:
                continue
            elif cls is not int:
                if value == "":
                    continue
                if (cls is float or cls is Decimal) and col < n_numeric and numeric[col]:
                    value = float(value)
                    if value != value or value == _INF or value == -_INF:
                        self.write_number(row, col, value, formats[col] if col < n_formats else None)
                        continue
                else:
                    value = convert(col, value)
                cls = value.__class__
            fmt = formats[col] if col < n_formats else None
            if cls is str:
                # A string found in the table is within Excel's limit (a longer one is stored cut): as write_string
                index = string_table.get(value)
                if index is None:
                    if len(value) > limit:
                        self.write_string(row, col, value, fmt)
                        continue
                    index = string_table[value] = strings.unique_count
                    strings.unique_count += 1
                count += 1
                cells[col] = new(string_t, (index, fmt))
            else:
                cells[col] = new(number_t, (value, fmt))
            if low is None:
                low = col
            high = col
        strings.count += count
        if low is not None:  # _check_dimensions of the cells written
            if self.dim_rowmin is None or row < self.dim_rowmin:
                self.dim_rowmin = row
            if self.dim_rowmax is None or row > self.dim_rowmax:
                self.dim_rowmax = row
            if self.dim_colmin is None or low < self.dim_colmin:
                self.dim_colmin = low
            if self.dim_colmax is None or high > self.dim_colmax:
                self.dim_colmax = high
        elif created:
            del table[row]  # the stock calls leave no row behind when nothing is written
        return 0

    def _write_row_values_stock(self, row, values, formats, numeric, convert):
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            fmt = formats[col] if col < len(formats) else None
            cls = value.__class__
            if cls is str:
                self.write_string(row, col, value, fmt)
            elif cls is int or ((cls is float or cls is Decimal) and col < len(numeric) and numeric[col]):
                self.write_number(row, col, float(value) if cls is Decimal else value, fmt)
            else:
                self.write_string(row, col, convert(col, value), fmt)
        return 0

    def _write_sheet_data(self):
        if self.dim_rowmin is None or self.constant_memory or not supported():
            return super()._write_sheet_data()
        self._xml_start_tag("sheetData")
        self._write_rows_fast()
        self._xml_end_tag("sheetData")

    def _write_rows_fast(self):
        # Worksheet._write_rows, row for row: which rows are written and their <row> tags are XlsxWriter's own.
        self._calculate_spans_fast()
        write = self.fh.write
        table, row_info, comments, col_info = self.table, self.row_info, self.comments, self.col_info
        row_spans = self.row_spans
        styles = {}  # id(format) → ' s="N"'
        styles_get = styles.get
        letters = _letters(self.dim_colmax)
        string_t, number_t, date_t, blank_t, rich_t = (CellStringTuple, CellNumberTuple, CellDatetimeTuple,
                                                       CellBlankTuple, CellRichStringTuple)
        unset = object()

        def style_of(fmt):
            s = styles[id(fmt)] = f' s="{fmt._get_xf_index()}"'
            return s

        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row_num)
            if not (row_num in row_info or row_num in comments or cells):
                continue
            span = row_spans.get(row_num // 16)
            info = row_info.get(row_num)
            if not cells:
                self._write_empty_row(row_num, span, info)
                continue
            if info is None:
                self._write_row(row_num, span)
            else:
                self._write_row(row_num, span, info)
            # The style of a cell without its own format: the row's format, else its column's (as _write_cell).
            row_format = info.row_format if info is not None else None
            row_style = style_of(row_format) if row_format else None
            number = str(row_num + 1)
            parts = []
            append = parts.append
            last_fmt, last_s = unset, ""  # the style of the last cell's own format (a row's run of one format)
            for col_num in sorted(cells):
                cell = cells[col_num]
                cls = cell.__class__
                if cls is string_t or cls is number_t or cls is rich_t or cls is date_t:
                    fmt = cell[1]
                elif cls is blank_t:
                    fmt = cell[0]
                else:  # a formula, boolean, error …: XlsxWriter's own method, in its place
                    if parts:
                        write("".join(parts))
                        parts = []
                        append = parts.append
                    self._write_cell(row_num, col_num, cell)
                    continue
                if fmt is last_fmt:
                    s = last_s
                elif fmt:
                    s = styles_get(id(fmt)) or style_of(fmt)
                    last_fmt, last_s = fmt, s
                elif row_style is not None:
                    s = row_style
                elif col_num in col_info and col_info[col_num].column_format is not None:
                    s = style_of(col_info[col_num].column_format)
                else:
                    s = ""
                if cls is string_t or cls is rich_t:
                    append(f'<c r="{letters[col_num]}{number}"{s} t="s"><v>{cell[0]}</v></c>')
                elif cls is blank_t:
                    append(f'<c r="{letters[col_num]}{number}"{s}/>')
                else:
                    append(f'<c r="{letters[col_num]}{number}"{s}><v>{cell[0]:.16G}</v></c>')
            append("</row>")
            write("".join(parts))

    def _calculate_spans_fast(self):
        # Worksheet._calculate_spans (the `spans` of each block of 16 rows: its first and last cell's
        # column) from each row's lowest and highest column instead of a look-up of every column of every row.
        if self.comments:
            return self._calculate_spans()
        spans = {}
        low = high = None
        table, last = self.table, self.dim_rowmax
        for row_num in range(self.dim_rowmin, last + 1):
            cells = table.get(row_num)
            if cells:
                lo, hi = min(cells), max(cells)
                if low is None:
                    low, high = lo, hi
                else:
                    low, high = min(low, lo), max(high, hi)
            if (row_num + 1) % 16 == 0 or row_num == last:
                if low is not None:
                    spans[row_num // 16] = f"{low + 1}:{high + 1}"
                    low = None
        self.row_spans = spans
