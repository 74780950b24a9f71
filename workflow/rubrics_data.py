"""Sample rubrics (评分细则), as data: `manage.py load_rubric shaoxing|shanxi [--call ID]`.

- **shaoxing**: 学校产教融合评价指标体系, Annex 1 of Shaoxing's five-year action plan (seed 002),
  row for row: six level-1, sixteen level-2 and forty-four level-3 indicators with the weights
  of the table (权重系数, here points out of 100). Every indicator is quantitative and scored by
  the table's own rule, 参评学校中指标值最高者得满分，其余学校按比例赋分. A yes/no row (设有责任
  处室, 省级现代学徒制试点) is a value of 1 (yes) or 0 (no). The table's notes say secondary and
  higher vocational schools are evaluated separately (中职、高职分开评价): load it onto one call
  for each.
- **shanxi**: the demo calls' rubric, built from the five functions of the Shanxi plan (seed 004,
  三(一)-(五): 实训、创新、生产、大赛、评价) plus 建设运行 (四), with expert-judged indicators whose
  guidance bands quote the plan, two quantitative indicators, and three veto items (一票否决).

Codes are the row numbers ("1", "1.2", "1.2.3"): applicants key their declared values
(Application.indicator_values) by them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from workflow.choices import Aggregation, IndicatorKind
from workflow.rules.rubric import IndicatorSpec

J, Q, V = IndicatorKind.JUDGED, IndicatorKind.QUANTITATIVE, IndicatorKind.VETO


@dataclass(frozen=True)
class RubricData:
    key: str
    name: str
    source: str
    aggregation: str
    specs: tuple[IndicatorSpec, ...]
    dispersion_margin: Decimal = Decimal(15)


@dataclass(frozen=True)
class Row:
    """One row of a table: a heading with children, or a leaf."""

    name: str
    weight: str
    children: tuple[Row, ...] = ()
    kind: str = J
    unit: str = ""
    guidance: tuple[dict, ...] = ()
    lower_is_better: bool = False


def _flatten(rows: Sequence[Row], parent: str | None = None, level: int = 1) -> list[IndicatorSpec]:
    specs: list[IndicatorSpec] = []
    for number, row in enumerate(rows, start=1):
        code = f"{parent}.{number}" if parent else str(number)
        specs.append(
            IndicatorSpec(
                code=code,
                name=row.name,
                level=level,
                weight=Decimal(row.weight),
                kind=row.kind,
                parent=parent,
                position=number,
                guidance=row.guidance,
                lower_is_better=row.lower_is_better,
                unit=row.unit,
            )
        )
        specs += _flatten(row.children, code, level + 1)
    return specs


# --- Shaoxing, Annex 1 ----------------------------------------------------------------------


def _q(name: str, weight: str, unit: str) -> Row:
    return Row(name, weight, kind=Q, unit=unit)


YES_NO = "是=1，否=0"

SHAOXING_ROWS = (
    Row(
        "组织保障",
        "8",
        (
            Row("组织机构", "2", (_q("设有负责学生实习、实训的责任处室", "2", YES_NO),)),
            Row("制度建设", "2", (_q("签定学生实习、实训相关协议比例", "2", "%"),)),
            Row(
                "保障措施",
                "4",
                (
                    _q("为实习学生办理实习责任险比例", "2", "%"),
                    _q("实施7S管理的实训场所比例", "2", "%"),
                ),
            ),
        ),
    ),
    Row(
        "基础条件",
        "16",
        (
            Row(
                "校内基地",
                "7",
                (
                    _q("校企合作实训工厂或实训实验室数", "3", "个"),
                    _q("企业捐赠的资金", "2", "万元"),
                    _q("企业捐赠的实习实训设备价值", "2", "万元"),
                ),
            ),
            Row(
                "校外基地",
                "9",
                (
                    _q("校外实习实训基地数", "3", "个"),
                    _q("企业提供的实习实训岗位数", "2", "个"),
                    _q("基地使用时间", "2", "人天"),
                    _q("市级以上校外实习示范基地", "2", "个"),
                ),
            ),
        ),
    ),
    Row(
        "师资队伍",
        "10",
        (
            Row(
                "专职教师",
                "7",
                (
                    _q("双师型教师比例", "2", "%"),
                    _q("技师以上职称占双师型教师比例", "3", "%"),
                    _q("市级以上大师（名师）工作室数", "2", "个"),
                ),
            ),
            Row("兼职教师", "3", (_q("企业技术骨干占专业教师比例", "3", "%"),)),
        ),
    ),
    Row(
        "产学合作",
        "38",
        (
            Row(
                "专业建设",
                "13",
                (
                    _q("职教集团（联盟）或专指委开展活动数量", "2", "次"),
                    _q("签订长期合作协议的产学合作企业（规上企业）数", "3", "个"),
                    _q("省级现代学徒制试点", "2", YES_NO),
                    _q("参与现代学徒制（企业新型学徒制）试点的企业数", "2", "个"),
                    _q("参与现代学徒制（企业新型学徒制）试点的学生比例", "2", "%"),
                    _q("1+X证书制度试点专业数", "2", "个"),
                ),
            ),
            Row(
                "合作育人",
                "15",
                (
                    _q("合作培养学生比例", "3", "%"),
                    _q("专业教师下企业接受技能培训的时间", "3", "天"),
                    _q("企业技术骨干进校承担教学任务量", "3", "课时"),
                    _q("企业接受实习实训的学生量", "2", "人次"),
                    _q("企业接受应届毕业生就业数", "2", "人"),
                    _q("学校为企业年培训员工数", "2", "人"),
                ),
            ),
            Row(
                "顶岗实习",
                "10",
                (
                    _q("企业接受半年顶岗实习学生数", "3", "人"),
                    _q("半年期顶岗实习的毕业生比例", "2", "%"),
                    _q("企业录用顶岗实习毕业生占直接就业毕业生比例", "3", "%"),
                    _q("顶岗实习专业对口率", "2", "%"),
                ),
            ),
        ),
    ),
    Row(
        "人才培养",
        "6",
        (
            Row(
                "职业资格",
                "4",
                (
                    _q("取得中级以上职业资格证书的比例", "2", "%"),
                    _q("取得职业技能等级证书的比例", "2", "%"),
                ),
            ),
            Row("社会培训", "2", (_q("社会培训量占全日制在校生规模的比例", "2", "%"),)),
        ),
    ),
    Row(
        "合作发展",
        "22",
        (
            Row(
                "毕业就业",
                "8",
                (
                    _q("毕业生就业率", "2", "%"),
                    _q("毕业生就业专业对口率", "2", "%"),
                    _q("直接就业毕业生留绍工作比例", "4", "%"),
                ),
            ),
            Row(
                "课程建设",
                "4",
                (_q("共同开发课程数", "2", "门"), _q("共同开发教材数", "2", "种")),
            ),
            Row(
                "企业满意度",
                "4",
                (
                    _q("学生实习用人单位满意率", "2", "%"),
                    _q("学生就业用人单位满意率", "2", "%"),
                ),
            ),
            Row(
                "助力产业发展",
                "6",
                (
                    _q("承接企业技术攻关项目数（以技术服务合同为准）", "2", "个"),
                    _q("技术创新成果数", "2", "个"),
                    _q("校企共建实验室或研发机构数", "2", "个"),
                ),
            ),
        ),
    ),
)

SHAOXING = RubricData(
    key="shaoxing",
    name="学校产教融合评价指标体系（绍兴）",
    source="绍兴市深化产教融合五年行动计划（征求意见稿）附件1",
    aggregation=Aggregation.MEAN,
    specs=tuple(_flatten(SHAOXING_ROWS)),
)


# --- Shanxi demo rubric ---------------------------------------------------------------------

# Guidance bands (评分档次) as shares of the indicator's points: 优 from 85 %, 良 from 70 %,
# 中 from 60 %, 差 below. Below 60 % is also where a mark counts as unusually low by default,
# so a 差 mark always comes with the expert's written reason.
BANDS = (
    (Decimal("0.85"), "优（全面达到）"),
    (Decimal("0.70"), "良（基本达到，个别方面尚待落实）"),
    (Decimal("0.60"), "中（部分达到，措施一般、目标不够明确）"),
    (Decimal("0"), "差（未达到或明显不足）"),
)
CENT = Decimal("0.01")


def guidance(weight: str, good: str) -> tuple[dict, ...]:
    """Four bands from the description of full marks; bounds in points, two decimals."""
    points = Decimal(weight)
    bands = []
    upper = points
    for share, grade in BANDS:
        lower = (points * share).quantize(CENT, rounding=ROUND_HALF_UP)
        bands.append(
            {
                "from": f"{lower:.2f}",
                "to": f"{upper:.2f}",
                "text": f"{grade}：{good}。",
            }
        )
        upper = lower - CENT
    return tuple(bands)


def _j(name: str, weight: str, good: str) -> Row:
    return Row(name, weight, kind=J, guidance=guidance(weight, good))


SHANXI_ROWS = (
    Row(
        "实训功能",
        "25",
        (
            _j(
                "实训条件与设施设备",
                "8",
                "汇集先进设备、优质实训案例，开发智能工厂虚拟仿真实训系统，能提供沉浸式实习实训",
            ),
            _j(
                "“双师型”师资团队",
                "9",
                "建成“双师型”师资团队，吸纳区域内、行业内拔尖人才任专（兼）职教师，"
                "技能大师、首席技师、产业导师设立工作室",
            ),
            _j(
                "实训项目与培训服务",
                "8",
                "按真实环境开发实习实训项目和教学培训资源，面向城乡各类劳动者及周边企业、院校提供"
                "技能实训、职业技能培训、创业培训等服务",
            ),
        ),
    ),
    Row(
        "创新功能",
        "20",
        (
            _j(
                "产教融合创新平台",
                "7",
                "与“双一流”建设等高校、地方政府、行业企业共建创新平台，协同开展关键核心技术"
                "人才培养、科技创新和学科专业建设",
            ),
            _j(
                "成果转化与技术服务",
                "7",
                "打通基础研究、应用开发、成果转移和产业化链条，为企业工艺改进、流程再造、产品开发、"
                "标准制定提供技术服务",
            ),
            _j(
                "开放共享",
                "6",
                "创新平台对行业、企业和高校开放共享，促进省内外重大科技成果就地转化",
            ),
        ),
    ),
    Row(
        "生产功能",
        "15",
        (
            _j(
                "生产性实训",
                "8",
                "按产品设计开发流程和生产工艺流程布局建设，实行真实设计和生产任务式培养，"
                "边生产边实训",
            ),
            _j(
                "企业化管理规范",
                "7",
                "导入企业文化和管理规范，实行设计、车间、现场、看板、质量、设备管理等制度",
            ),
        ),
    ),
    Row(
        "大赛功能",
        "10",
        (
            _j(
                "技能竞赛承办",
                "5",
                "承担技能竞赛实训和比赛基地职能，建立大赛联动机制，承办各级创新创业大赛、"
                "职业技能大赛",
            ),
            _j(
                "大赛集训与交流",
                "5",
                "为行业企业、院校及社会提供大赛集训、竞赛交流、师资研修服务，承办高峰论坛",
            ),
        ),
    ),
    Row(
        "评价功能",
        "10",
        (
            _j(
                "职业技能等级认定",
                "5",
                "建设技能等级证书第三方评价机构考核站点，面向全社会开展职业技能等级认定",
            ),
            _j(
                "“1+X”证书与评价服务",
                "5",
                "推动“1+X”证书制度试点，主动服务职业技能等级证书、职业资格证书的培训、鉴定或认定",
            ),
        ),
    ),
    Row(
        "建设运行",
        "20",
        (
            _j(
                "建设方案与布局",
                "6",
                "符合国土空间规划，选址布局合理，建设内容和功能定位明确，与区域产业集群对接、"
                "错位发展",
            ),
            _j(
                "资金筹措与运营机制",
                "4",
                "多渠道资金已落实，建立企业化管理运营机制和运营成本合理分担机制",
            ),
            Row("年培训规模", "5", kind=Q, unit="人次"),
            Row("签约合作企业数", "5", kind=Q, unit="个"),
        ),
    ),
    # 一票否决项: facts the office establishes, worth no points.
    Row("近三年发生重大安全生产事故或重大环境污染事件", "0", kind=V),
    Row("被列入严重失信主体名单或存在违法违规行为", "0", kind=V),
    Row("申报材料弄虚作假", "0", kind=V),
)

SHANXI = RubricData(
    key="shanxi",
    name="产教融合重大平台载体和实训基地评分细则（山西五大功能）",
    source="山西省产教融合重大平台载体和实训基地建设实施方案 三、四",
    aggregation=Aggregation.TRIMMED_MEAN,
    specs=tuple(_flatten(SHANXI_ROWS)),
)

SAMPLES: dict[str, RubricData] = {r.key: r for r in (SHAOXING, SHANXI)}
