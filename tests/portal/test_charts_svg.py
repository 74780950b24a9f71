"""The SVG chart helpers (portal/charts.py): pure functions, no database."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from portal import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def bars_of(root: ET.Element) -> list[ET.Element]:
    return root.findall(f".//{SVG}rect[@class='chart-bar']")


def test_bar_heights_are_proportional_to_the_values():
    svg = charts.bar_chart(
        [charts.Bar("a", 1), charts.Bar("b", 2), charts.Bar("c", 4), charts.Bar("d", 0)],
        chart_id="c1",
        title="T",
        desc="D",
    )
    heights = [float(r.get("height")) for r in bars_of(parse(svg))]
    assert heights[2] > 0
    assert heights[0] * 4 == heights[2] and heights[1] * 2 == heights[2]
    assert heights[3] == 0
    # Every bar stands on the same base line.
    bottoms = {float(r.get("y")) + float(r.get("height")) for r in bars_of(parse(svg))}
    assert len(bottoms) == 1


def test_values_are_written_on_the_chart_not_only_drawn():
    svg = charts.bar_chart([charts.Bar("60–70", 3)], chart_id="c", title="T", desc="D")
    values = [t.text for t in parse(svg).iter(f"{SVG}text") if t.get("class") == "chart-value"]
    assert values == ["3"]


def test_the_chart_is_an_accessible_image_with_title_and_description():
    svg = charts.bar_chart([charts.Bar("x", 1)], chart_id="scores", title="Scores", desc="Many")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "scores-title scores-desc"
    assert root.find(f"{SVG}title").text == "Scores"
    assert root.find(f"{SVG}title").get("id") == "scores-title"
    assert root.find(f"{SVG}desc").text == "Many"


def test_labels_and_titles_are_escaped():
    nasty = '<script>alert("x")</script> & co'
    svg = (
        str(charts.bar_chart([charts.Bar(nasty, 1)], chart_id="c", title=nasty, desc=nasty))
        + str(
            charts.range_chart(
                [charts.Range(nasty, 1, 2, 1.5)], maximum=10, chart_id="r", title=nasty, desc=nasty
            )
        )
        + str(
            charts.progress_chart(
                [charts.Progress(nasty, 1, 2, 3, 1)], chart_id="p", title=nasty, desc=nasty
            )
        )
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "&amp; co" in svg


def test_no_data_gives_no_chart():
    assert charts.bar_chart([], chart_id="c", title="T", desc="D") == ""
    assert charts.range_chart([], maximum=100, chart_id="c", title="T", desc="D") == ""
    assert charts.progress_chart([], chart_id="c", title="T", desc="D") == ""


def test_all_zero_bars_are_drawn_flat_without_dividing_by_zero():
    svg = charts.bar_chart(
        [charts.Bar("a", 0), charts.Bar("b", 0)], chart_id="c", title="T", desc="D"
    )
    assert [float(r.get("height")) for r in bars_of(parse(svg))] == [0.0, 0.0]


def test_ranges_sit_on_a_common_axis_and_flagged_rows_are_marked_without_colour():
    svg = charts.range_chart(
        [
            charts.Range("calm", Decimal("70"), Decimal("80"), Decimal("75")),
            charts.Range("wild", Decimal("20"), Decimal("100"), Decimal("60"), flagged=True),
        ],
        maximum=Decimal("100"),
        chart_id="d",
        title="T",
        desc="D",
    )
    root = parse(svg)
    groups = [g for g in root.iter(f"{SVG}g") if "chart-item" in g.get("class", "")]
    calm, wild = groups
    assert "flagged" not in calm.get("class") and "flagged" in wild.get("class")
    ranges = [g.find(f"{SVG}line[@class='chart-range']") for g in groups]
    calm_len = float(ranges[0].get("x2")) - float(ranges[0].get("x1"))
    wild_len = float(ranges[1].get("x2")) - float(ranges[1].get("x1"))
    assert wild_len == calm_len * 8  # 80 points against 10 on the same axis
    labels = [
        t.text for g in groups for t in g.iter(f"{SVG}text") if t.get("class") == "chart-label"
    ]
    assert labels == ["calm", "! wild"]


def test_progress_bars_fill_the_done_part_and_hatch_the_late_part():
    svg = charts.progress_chart(
        [charts.Progress("p", done=1, due=3, total=4, late=2)], chart_id="m", title="T", desc="D"
    )
    root = parse(svg)
    track = root.find(f".//{SVG}rect[@class='chart-track']")
    done = root.find(f".//{SVG}rect[@class='chart-done']")
    late = root.find(f".//{SVG}rect[@class='chart-late']")
    assert float(done.get("width")) * 4 == float(track.get("width"))
    assert float(late.get("width")) == 2 * float(done.get("width"))
    assert late.get("fill") == "url(#m-hatch)"
    assert root.find(f".//{SVG}pattern").get("id") == "m-hatch"
    assert "1 / 3 (4)" in str(svg)


def test_long_labels_are_shortened_on_the_chart_but_whole_in_the_tooltip():
    label = "一个非常非常非常非常非常长的项目名称，超过了图表能显示的宽度"
    svg = str(
        charts.range_chart(
            [charts.Range(label, 1, 2, 1)], maximum=5, chart_id="c", title="T", desc="D"
        )
    )
    assert label in svg  # in the <title> of the row
    assert re.search(r">[^<]*…</text>", svg)


def test_numbers_are_written_with_at_most_two_decimals():
    assert charts.number(Decimal("72.50")) == "72.5"
    assert charts.number(Decimal("80.00")) == "80"
    assert charts.number(3) == "3"
