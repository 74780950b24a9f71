"""The expert pool (专家库) as an Excel sheet, and the rules of one pool entry.

Pure functions: no database. `parse_workbook` turns an uploaded .xlsx into entries, each with the
problems found in it (bad rows are named, good rows kept); `write_workbook` writes entries back
with the same columns, so that an export re-imports without change. The services resolve the
organisations an entry names and decide what to save.

The column headers are Chinese because they are a file format the offices fill in, not interface
text: they stay constants and are never translated. Multiple values in one cell are separated by
"；" (or ";" or a line break); the parts of one value by "|".
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from workflow.choices import ExpertRelationKind as K

# Columns ----------------------------------------------------------------------------------

COL_NAME = "姓名"
COL_PHONE = "手机号码"
COL_EMPLOYER = "工作单位"
COL_TITLE = "职称"
COL_YEARS = "工作年限"
COL_SECTORS = "专业领域"
COL_REGION = "所在地区"
COL_ACTIVE = "是否启用"
COL_FORMER = "曾任职单位"
COL_BOARD = "董事/监事任职单位"
COL_SHARES = "持股/实际控制单位"
COL_KINSHIP = "亲属关系"

COLUMNS = (
    COL_NAME,
    COL_PHONE,
    COL_EMPLOYER,
    COL_TITLE,
    COL_YEARS,
    COL_SECTORS,
    COL_REGION,
    COL_ACTIVE,
    COL_FORMER,
    COL_BOARD,
    COL_SHARES,
    COL_KINSHIP,
)
RELATION_COLUMNS = (COL_FORMER, COL_BOARD, COL_SHARES, COL_KINSHIP)

SHEET_NAME = "专家库"
NOTES_SHEET_NAME = "填写说明"
NOTES = (
    (COL_NAME, "必填", "王德明"),
    (COL_PHONE, "选填；填写后作为识别同一专家的依据", "13800138000"),
    (
        COL_EMPLOYER,
        "选填；与申报主体名录中的单位名称一致时自动关联，用于同单位回避",
        "太原理工大学",
    ),
    (COL_TITLE, "必填", "高级职称"),
    (COL_YEARS, "必填；0至70的整数", "20"),
    (COL_SECTORS, "选填；多个领域以“、”或“，”分隔", "新能源汽车、智能制造"),
    (COL_REGION, "必填", "太原市"),
    (COL_ACTIVE, "是/否；空白视为“是”", "是"),
    (COL_FORMER, "单位名称|离职日期；多项以“；”分隔", "山西汽车集团|2022-06-30"),
    (COL_BOARD, "单位名称|董事或监事；多项以“；”分隔", "晋能控股集团|董事"),
    (COL_SHARES, "单位名称|控股股东、实际控制人或股东；多项以“；”分隔", "山西某科技公司|股东"),
    (COL_KINSHIP, "单位名称|姓名|关系；多项以“；”分隔", "太原某职业学院|李某|配偶"),
)

YES, NO = "是", "否"
_YES_WORDS = {"是", "启用", "在库", "y", "yes", "true", "1"}
_NO_WORDS = {"否", "停用", "不在库", "n", "no", "false", "0"}

# The role words of the two role-carrying columns, and back.
BOARD_ROLES = {"董事": K.DIRECTOR, "监事": K.SUPERVISOR}
SHARE_ROLES = {
    "控股股东": K.CONTROLLING_SHAREHOLDER,
    "实际控制人": K.ACTUAL_CONTROLLER,
    "股东": K.SHAREHOLDER,
}
ROLE_WORDS = {kind: word for word, kind in (BOARD_ROLES | SHARE_ROLES).items()}
COLUMN_OF_KIND = {
    K.FORMER_EMPLOYER: COL_FORMER,
    K.DIRECTOR: COL_BOARD,
    K.SUPERVISOR: COL_BOARD,
    K.CONTROLLING_SHAREHOLDER: COL_SHARES,
    K.ACTUAL_CONTROLLER: COL_SHARES,
    K.SHAREHOLDER: COL_SHARES,
    K.KINSHIP: COL_KINSHIP,
}

MAX_YEARS = 70
MAX_ROWS = 5000
MAX_COLUMNS = 60
# An .xlsx is a zip: a small upload may unpack to gigabytes. Real sheets of 5,000 experts
# unpack to a few megabytes.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024

_ITEM_SPLIT = re.compile(r"[；;\r\n]+")
_PART_SPLIT = re.compile(r"[|｜]")
_SECTOR_SPLIT = re.compile(r"[、，,；;\r\n]+")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
PHONE = re.compile(r"^[0-9+()\- ]{5,32}$")


# Entries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelationEntry:
    """One declared relation; `organisation` is how the sheet names it (name or credit code)."""

    kind: str
    organisation: str
    person_name: str = ""
    relationship: str = ""
    ended_on: dt.date | None = None


@dataclass(frozen=True)
class ExpertEntry:
    """One expert as the sheet, a form or the export describes it."""

    name: str
    title: str
    years_of_work: int | None
    region: str
    phone: str = ""
    employer: str = ""
    sectors: tuple[str, ...] = ()
    active: bool = True
    relations: tuple[RelationEntry, ...] = ()


@dataclass
class ParsedRow:
    row: int  # the row number in Excel: the header is row 1
    entry: ExpertEntry
    problems: list[str] = field(default_factory=list)
    unreadable: frozenset[str] = frozenset()  # columns already reported as unreadable


@dataclass(frozen=True)
class ParsedSheet:
    rows: list[ParsedRow]  # every non-blank row, in sheet order, with its syntax problems

    @property
    def good(self) -> list[ParsedRow]:
        return [r for r in self.rows if not r.problems]

    @property
    def bad(self) -> list[ParsedRow]:
        return [r for r in self.rows if r.problems]


class BadWorkbook(ValueError):
    """The file as a whole cannot be read as the expert sheet; nothing in it is used."""


# Rules of an entry ------------------------------------------------------------------------


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def entry_problems(entry: ExpertEntry, today: dt.date, unreadable: Iterable[str] = ()) -> list[str]:
    """What makes an entry unfit for the pool, every problem at once. Organisation names are
    checked against the database by the services; `unreadable` columns were reported already."""
    problems = []
    required = (
        (entry.name, COL_NAME, 100),
        (entry.title, COL_TITLE, 50),
        (entry.region, COL_REGION, 100),
    )
    for value, column, limit in required:
        if not value:
            problems.append(_("%(column)s is required.") % {"column": column})
        elif len(value) > limit:
            problems.append(
                _("%(column)s is too long (at most %(n)d characters).")
                % {"column": column, "n": limit}
            )
    if len(entry.employer) > 200:
        problems.append(
            _("%(column)s is too long (at most %(n)d characters).")
            % {"column": COL_EMPLOYER, "n": 200}
        )
    if entry.years_of_work is None:
        if COL_YEARS not in unreadable:
            problems.append(_("%(column)s is required.") % {"column": COL_YEARS})
    elif not 0 <= entry.years_of_work <= MAX_YEARS:
        problems.append(
            _("%(column)s must be between 0 and %(max)d.") % {"column": COL_YEARS, "max": MAX_YEARS}
        )
    if entry.phone and not PHONE.match(entry.phone):
        problems.append(
            _("%(column)s: “%(value)s” is not a telephone number.")
            % {"column": COL_PHONE, "value": entry.phone}
        )
    for sector in entry.sectors:
        if len(sector) > 50:
            problems.append(
                _("%(column)s: “%(value)s” is too long (at most 50 characters).")
                % {"column": COL_SECTORS, "value": sector}
            )
    for relation in entry.relations:
        problems.extend(relation_problems(relation, today))
    return problems


def relation_problems(relation: RelationEntry, today: dt.date) -> list[str]:
    column = COLUMN_OF_KIND.get(relation.kind, "")
    problems = []
    if not relation.organisation:
        problems.append(_("%(column)s: an organisation name is missing.") % {"column": column})
    if relation.kind == K.FORMER_EMPLOYER:
        # 政府采购法实施条例 第九条（一）: employment within the last 3 years; the date decides.
        if relation.ended_on is None:
            problems.append(
                _("%(column)s: give the date employment at “%(organisation)s” ended.")
                % {"column": column, "organisation": relation.organisation}
            )
        elif relation.ended_on > today:
            problems.append(
                _("%(column)s: the end date %(date)s is in the future.")
                % {"column": column, "date": relation.ended_on.isoformat()}
            )
    if relation.kind == K.KINSHIP and not (relation.person_name and relation.relationship):
        problems.append(
            _("%(column)s: name the relative's organisation, name and relationship.")
            % {"column": column}
        )
    if len(relation.person_name) > 100 or len(relation.relationship) > 50:
        problems.append(_("%(column)s: a name or relationship is too long.") % {"column": column})
    return problems


# Cells ------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: numbers typed into Excel (phone numbers) lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_date(text: str) -> dt.date | None:
    match = _DATE.match(text.strip())
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def parse_years(value: Any) -> tuple[int | None, str | None]:
    """(years, problem)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        return value, None
    if isinstance(value, float) and value.is_integer():
        return int(value), None
    text = cell_text(value).removesuffix("年").strip()
    if not text:
        return None, None  # "required" is reported by entry_problems
    if re.fullmatch(r"\d{1,6}", text):
        return int(text), None
    return None, _("%(column)s: “%(value)s” is not a whole number of years.") % {
        "column": COL_YEARS,
        "value": cell_text(value),
    }


def parse_active(value: Any) -> tuple[bool, str | None]:
    text = cell_text(value).lower()
    if not text or text in _YES_WORDS:
        return True, None
    if text in _NO_WORDS:
        return False, None
    return True, _("%(column)s: write “是” or “否”, not “%(value)s”.") % {
        "column": COL_ACTIVE,
        "value": cell_text(value),
    }


def parse_sectors(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for part in _SECTOR_SPLIT.split(text or ""):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return tuple(seen)


def parse_relations(column: str, text: str) -> tuple[list[RelationEntry], list[str]]:
    """The relations written in one relation column (or the matching form field)."""
    relations, problems = [], []
    for item in _ITEM_SPLIT.split(text or ""):
        item = item.strip()
        if not item:
            continue
        parts = [p.strip() for p in _PART_SPLIT.split(item)]
        organisation = parts[0]
        if column == COL_FORMER:
            if len(parts) != 2:
                problems.append(_bad_format(column, item, "单位名称|离职日期"))
                continue
            ended_on = parse_date(parts[1])
            if ended_on is None:
                problems.append(
                    _("%(column)s: “%(value)s” is not a date (write it as 2022-06-30).")
                    % {"column": column, "value": parts[1]}
                )
                continue
            relations.append(RelationEntry(K.FORMER_EMPLOYER, organisation, ended_on=ended_on))
        elif column in (COL_BOARD, COL_SHARES):
            roles = BOARD_ROLES if column == COL_BOARD else SHARE_ROLES
            if len(parts) != 2 or parts[1] not in roles:
                problems.append(_bad_format(column, item, "单位名称|" + "/".join(roles)))
                continue
            relations.append(RelationEntry(roles[parts[1]], organisation))
        elif column == COL_KINSHIP:
            if len(parts) != 3:
                problems.append(_bad_format(column, item, "单位名称|姓名|关系"))
                continue
            relations.append(
                RelationEntry(K.KINSHIP, organisation, person_name=parts[1], relationship=parts[2])
            )
        else:  # pragma: no cover - a programming error, not a user's
            raise ValueError(column)
    return relations, problems


def _bad_format(column: str, item: str, expected: str) -> str:
    return _("%(column)s: “%(value)s” should be written as “%(expected)s”.") % {
        "column": column,
        "value": item,
        "expected": expected,
    }


def format_relations(column: str, relations: Iterable[RelationEntry], sep: str = "；") -> str:
    """The inverse of parse_relations for one column."""
    items = []
    for r in relations:
        if COLUMN_OF_KIND.get(r.kind) != column:
            continue
        if r.kind == K.FORMER_EMPLOYER:
            items.append(f"{r.organisation}|{r.ended_on.isoformat() if r.ended_on else ''}")
        elif r.kind == K.KINSHIP:
            items.append(f"{r.organisation}|{r.person_name}|{r.relationship}")
        else:
            items.append(f"{r.organisation}|{ROLE_WORDS[r.kind]}")
    return sep.join(items)


# Rows and sheets --------------------------------------------------------------------------


def parse_row(row: int, values: Mapping[str, Any]) -> ParsedRow:
    """One sheet row, keyed by column header, into an entry and its syntax problems."""
    problems: list[str] = []
    unreadable = set()
    years, problem = parse_years(values.get(COL_YEARS))
    if problem:
        problems.append(problem)
        unreadable.add(COL_YEARS)
    active, problem = parse_active(values.get(COL_ACTIVE))
    if problem:
        problems.append(problem)
    relations: list[RelationEntry] = []
    for column in RELATION_COLUMNS:
        found, column_problems = parse_relations(column, cell_text(values.get(column)))
        relations.extend(found)
        problems.extend(column_problems)
    entry = ExpertEntry(
        name=cell_text(values.get(COL_NAME)),
        phone=cell_text(values.get(COL_PHONE)),
        employer=cell_text(values.get(COL_EMPLOYER)),
        title=cell_text(values.get(COL_TITLE)),
        years_of_work=years,
        sectors=parse_sectors(cell_text(values.get(COL_SECTORS))),
        region=cell_text(values.get(COL_REGION)),
        active=active,
        relations=tuple(dict.fromkeys(relations)),
    )
    return ParsedRow(row=row, entry=entry, problems=problems, unreadable=frozenset(unreadable))


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, Sequence[Any]]]]:
    """The header and the non-blank data rows (with their Excel row numbers) of the sheet."""
    from openpyxl import load_workbook

    if not data:
        raise BadWorkbook(_("The file is empty."))
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise BadWorkbook(
            _(
                "This is an old-style Excel file (.xls). Open it in Excel or WPS and save it as "
                "an Excel workbook (.xlsx), then upload that."
            )
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        unpacked = 0  # not a zip at all: openpyxl's refusal below names the problem
    if unpacked > MAX_UNPACKED_BYTES:
        raise BadWorkbook(_("The workbook is too large once unpacked; split it into several."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds: any failure means "not an .xlsx"
        raise BadWorkbook(
            _("The file is not an Excel workbook (.xlsx) or it is damaged; nothing was imported.")
        ) from exc
    try:
        names = workbook.sheetnames
        sheet = workbook[SHEET_NAME] if SHEET_NAME in names else workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        header_cells = next(rows, None) or ()
        header = [cell_text(c) for c in header_cells]
        body: list[tuple[int, Sequence[Any]]] = []
        for number, values in enumerate(rows, start=2):
            if all(cell_text(v) == "" for v in values):
                continue
            if len(body) >= MAX_ROWS:
                raise BadWorkbook(
                    _("The sheet has more than %(n)d experts; split it into several files.")
                    % {"n": MAX_ROWS}
                )
            body.append((number, values))
    except BadWorkbook:
        raise
    except Exception as exc:
        raise BadWorkbook(
            _("The file is not an Excel workbook (.xlsx) or it is damaged; nothing was imported.")
        ) from exc
    finally:
        workbook.close()
    return header, body


def parse_workbook(data: bytes) -> ParsedSheet:
    """Read the expert sheet. Raises BadWorkbook when the file as a whole is unusable (not an
    .xlsx, no expert columns); a bad row is reported with its problems and does not stop the
    others."""
    header, body = read_rows(data)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BadWorkbook(
            _(
                "The sheet lacks these columns: %(columns)s. Start from an export of the expert "
                "pool, which has every column."
            )
            % {"columns": "、".join(missing)}
        )
    index = {c: header.index(c) for c in COLUMNS}
    rows = []
    for number, values in body:
        cells = {c: values[i] if i < len(values) else None for c, i in index.items()}
        rows.append(parse_row(number, cells))
    return ParsedSheet(rows)


def entry_cells(entry: ExpertEntry) -> list[Any]:
    return [
        entry.name,
        entry.phone,
        entry.employer,
        entry.title,
        entry.years_of_work,
        "、".join(entry.sectors),
        entry.region,
        YES if entry.active else NO,
        *(format_relations(c, entry.relations) for c in RELATION_COLUMNS),
    ]


def write_workbook(entries: Iterable[ExpertEntry]) -> bytes:
    """The sheet `parse_workbook` reads, plus a sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for entry in entries:
        sheet.append(entry_cells(entry))
        for cell in sheet[sheet.max_row]:
            # openpyxl stores text starting with "=" as a formula: keep it text, so that a
            # name cannot run in the office's spreadsheet and the sheet re-imports unchanged.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    # Phone numbers are text: Excel would otherwise show 13800138000 as 1.38E+10.
    for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.number_format = "@"
    widths = (10, 16, 28, 12, 10, 28, 12, 10, 36, 36, 36, 36)
    for letter, width in zip("ABCDEFGHIJKL", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    notes = workbook.create_sheet(NOTES_SHEET_NAME)
    notes.append(["列名", "填写要求", "示例"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in NOTES:
        notes.append(list(row))
    for letter, width in zip("ABC", (20, 60, 36), strict=True):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
