"""The expert sheet: parsing and writing, without a database."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from workflow.choices import ExpertRelationKind as K
from workflow.experts_excel import (
    COL_ACTIVE,
    COL_BOARD,
    COL_EMPLOYER,
    COL_FORMER,
    COL_KINSHIP,
    COL_NAME,
    COL_PHONE,
    COL_REGION,
    COL_SECTORS,
    COL_SHARES,
    COL_TITLE,
    COL_YEARS,
    COLUMNS,
    NOTES_SHEET_NAME,
    SHEET_NAME,
    BadWorkbook,
    ExpertEntry,
    RelationEntry,
    entry_problems,
    parse_relations,
    parse_row,
    parse_workbook,
    write_workbook,
)

TODAY = dt.date(2025, 6, 1)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted by their English msgids, which stay stable when translated."""
    with translation.override("en"):
        yield


def xlsx(rows, header=COLUMNS, title=SHEET_NAME) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(c) for c in header] if isinstance(row, dict) else row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


GOOD = {
    COL_NAME: "王德明",
    COL_PHONE: 13800138000,  # typed as a number in Excel
    COL_EMPLOYER: "太原理工大学",
    COL_TITLE: "高级职称",
    COL_YEARS: 20,
    COL_SECTORS: "新能源汽车、智能制造，材料",
    COL_REGION: "太原市",
    COL_ACTIVE: "是",
    COL_FORMER: "山西汽车集团|2022-06-30；晋能控股集团|2019/1/5",
    COL_BOARD: "某科技公司|董事",
    COL_SHARES: "某投资公司|控股股东;某材料公司|股东",
    COL_KINSHIP: "某职业学院|李某|配偶",
}


def test_a_good_row_is_read_completely():
    parsed = parse_row(2, GOOD)
    assert parsed.problems == []
    entry = parsed.entry
    assert entry.name == "王德明"
    assert entry.phone == "13800138000"
    assert entry.years_of_work == 20
    assert entry.sectors == ("新能源汽车", "智能制造", "材料")
    assert entry.active is True
    assert set(entry.relations) == {
        RelationEntry(K.FORMER_EMPLOYER, "山西汽车集团", ended_on=dt.date(2022, 6, 30)),
        RelationEntry(K.FORMER_EMPLOYER, "晋能控股集团", ended_on=dt.date(2019, 1, 5)),
        RelationEntry(K.DIRECTOR, "某科技公司"),
        RelationEntry(K.CONTROLLING_SHAREHOLDER, "某投资公司"),
        RelationEntry(K.SHAREHOLDER, "某材料公司"),
        RelationEntry(K.KINSHIP, "某职业学院", person_name="李某", relationship="配偶"),
    }
    assert entry_problems(entry, TODAY) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({COL_TITLE: None}, [f"{COL_TITLE}"]),
        ({COL_REGION: " "}, [f"{COL_REGION}"]),
        ({COL_YEARS: None}, [f"{COL_YEARS}"]),
        ({COL_YEARS: 71}, ["between 0 and 70"]),
        ({COL_YEARS: -1}, ["between 0 and 70"]),
        ({COL_YEARS: "二十"}, ["not a whole number"]),
        ({COL_YEARS: 12.5}, ["not a whole number"]),
        ({COL_ACTIVE: "也许"}, ["“是” or “否”"]),
        ({COL_PHONE: "电话"}, ["not a telephone number"]),
        ({COL_FORMER: "山西汽车集团"}, ["单位名称|离职日期"]),
        ({COL_FORMER: "山西汽车集团|去年"}, ["not a date"]),
        ({COL_FORMER: "山西汽车集团|2099-01-01"}, ["in the future"]),
        ({COL_BOARD: "某科技公司|经理"}, ["单位名称|董事/监事"]),
        ({COL_SHARES: "某投资公司"}, ["控股股东"]),
        ({COL_KINSHIP: "某职业学院|李某"}, ["单位名称|姓名|关系"]),
        ({COL_KINSHIP: "某职业学院||配偶"}, ["relative's organisation, name and relationship"]),
    ],
)
def test_each_problem_is_named(changes, expected):
    parsed = parse_row(5, {**GOOD, **changes})
    problems = parsed.problems + entry_problems(parsed.entry, TODAY)
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)


def test_every_problem_of_a_row_is_listed():
    parsed = parse_row(
        7, {**GOOD, COL_TITLE: "", COL_YEARS: 99, COL_FORMER: "X", COL_KINSHIP: "A|B"}
    )
    problems = parsed.problems + entry_problems(parsed.entry, TODAY)
    assert len(problems) == 4


def test_date_and_blank_active_variants():
    found, problems = parse_relations(COL_FORMER, "甲|2020年3月9日\n乙|2021.12.31")
    assert problems == []
    assert [r.ended_on for r in found] == [dt.date(2020, 3, 9), dt.date(2021, 12, 31)]
    assert parse_row(2, {**GOOD, COL_ACTIVE: None}).entry.active is True
    assert parse_row(2, {**GOOD, COL_ACTIVE: "否"}).entry.active is False


def test_written_sheet_reads_back_the_same_entries():
    entries = [
        parse_row(2, GOOD).entry,
        ExpertEntry(name="赵敏", title="正高级工程师", years_of_work=0, region="大同市"),
    ]
    sheet = parse_workbook(write_workbook(entries))
    assert [r.row for r in sheet.rows] == [2, 3]
    assert [r.problems for r in sheet.rows] == [[], []]
    assert [r.entry for r in sheet.rows] == entries


def test_export_has_a_notes_sheet_and_text_phone_numbers():
    data = write_workbook([parse_row(2, GOOD).entry])
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == [SHEET_NAME, NOTES_SHEET_NAME]
    sheet = workbook[SHEET_NAME]
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    assert sheet["B2"].value == "13800138000"


def test_columns_may_come_in_any_order_and_blank_rows_are_skipped():
    header = list(reversed(COLUMNS))
    data = xlsx([{**GOOD}, {}, {**GOOD, COL_NAME: "李华", COL_PHONE: "139"}], header=header)
    sheet = parse_workbook(data)
    assert [(r.row, r.entry.name) for r in sheet.rows] == [(2, "王德明"), (4, "李华")]


def test_the_first_sheet_is_read_when_none_is_named_for_experts():
    sheet = parse_workbook(xlsx([GOOD], title="Sheet1"))
    assert sheet.rows[0].entry.name == "王德明"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        ("姓名,职称\n王德明,高级".encode(), "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        (b"PK\x03\x04 broken zip", "not an Excel workbook"),
    ],
    ids=["empty", "csv", "old-xls", "broken-zip"],
)
def test_unreadable_files_are_refused_as_a_whole(data, message):
    with pytest.raises(BadWorkbook, match=message):
        parse_workbook(data)


def test_missing_columns_are_named():
    with pytest.raises(BadWorkbook, match=f"{COL_KINSHIP}"):
        parse_workbook(xlsx([GOOD], header=COLUMNS[:-1]))


def test_rows_keep_their_excel_numbers_after_bad_rows():
    sheet = parse_workbook(xlsx([GOOD, {**GOOD, COL_YEARS: "很多"}, GOOD]))
    assert [r.row for r in sheet.bad] == [3]
    assert [r.row for r in sheet.good] == [2, 4]


def test_a_supervisor_seat_round_trips_in_the_board_column():
    entry = ExpertEntry(
        name="甲",
        title="高级",
        years_of_work=1,
        region="乙",
        relations=(RelationEntry(K.SUPERVISOR, "某公司"),),
    )
    data = write_workbook([entry])
    sheet = load_workbook(io.BytesIO(data))[SHEET_NAME]
    assert sheet.cell(row=2, column=COLUMNS.index(COL_BOARD) + 1).value == "某公司|监事"
    assert parse_workbook(data).rows[0].entry == entry


def test_an_unreadable_number_is_not_also_reported_missing():
    parsed = parse_row(2, {**GOOD, COL_YEARS: "很多"})
    problems = parsed.problems + entry_problems(parsed.entry, TODAY, parsed.unreadable)
    assert problems == ["工作年限: “很多” is not a whole number of years."]


def test_text_that_looks_like_a_formula_stays_text():
    entry = ExpertEntry(name='=HYPERLINK("http://x")', title="=1+1", years_of_work=1, region="乙")
    data = write_workbook([entry])
    sheet = load_workbook(io.BytesIO(data))[SHEET_NAME]
    assert sheet["A2"].data_type == "s" and sheet["D2"].data_type == "s"
    assert parse_workbook(data).rows[0].entry == entry


def test_a_zip_bomb_is_refused_before_it_is_unpacked(monkeypatch):
    import workflow.experts_excel as excel

    monkeypatch.setattr(excel, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(BadWorkbook, match="too large once unpacked"):
        parse_workbook(xlsx([GOOD]))
