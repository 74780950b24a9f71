"""演示数据 (review stage): an expert pool, rubrics on the demo calls, and one call in expert
review with a real draw, accepted invitations and most score sheets submitted.

Every step goes through the services, as in workflow.demo. The panel is drawn at random like
any other: which demo experts sit on it is printed after loading, never chosen here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.utils import translation

from workflow.choices import (
    ApplicationState,
    CallState,
    DrawMode,
    ExpertRelationKind,
    InvitationState,
    Role,
)
from workflow.experts_excel import ExpertEntry, RelationEntry
from workflow.models import Assignment, Expert, Rubric
from workflow.rules.scoring import Mark
from workflow.selectors.scoring import call_rubric_tree
from workflow.services import calls as call_services
from workflow.services import review as review_services
from workflow.services.applications import application_accept
from workflow.services.experts import expert_create
from workflow.services.rubrics import rubric_load_sample
from workflow.services.scoring import score_sheet_submit

if TYPE_CHECKING:
    from workflow.demo import DemoLoader


@dataclass(frozen=True)
class ExpertSpec:
    username: str
    name: str
    title: str
    years: int
    employer: str  # an organisation's name, or an outside employer
    region: str
    sectors: tuple[str, ...]
    phone: str
    relations: tuple[RelationEntry, ...] = ()


# A declared past employment within three years: recusal rule 2 keeps 孙建华 off any application
# of 山西转型综合改革示范区.
FORMER_ZGQ = RelationEntry(
    ExpertRelationKind.FORMER_EMPLOYER, "山西转型综合改革示范区", ended_on=dt.date(2024, 6, 30)
)
EXPERTS = [
    ExpertSpec("expert_wang", "王德明", "正高级工程师", 28, "太原理工大学", "太原市",
               ("新能源汽车", "智能制造"), "13903510001"),
    ExpertSpec("expert_li", "李淑华", "教授", 25, "中北大学", "太原市",
               ("现代农业", "职业教育"), "13903510002"),
    ExpertSpec("expert_zhang", "张志强", "研究员", 22, "山西省农业科学院", "太原市",
               ("现代农业",), "13903510003"),
    ExpertSpec("expert_zhao", "赵海燕", "正高级经济师", 19, "山西焦煤集团有限责任公司", "太原市",
               ("智能制造", "高端装备制造"), "13903510004"),
    ExpertSpec("expert_liu", "刘建军", "教授级高级工程师", 30, "中国重汽集团大同齿轮有限公司",
               "大同市", ("高端装备制造", "新能源汽车"), "13903520005"),
    ExpertSpec("expert_chen", "陈晓梅", "教授", 21, "山西大学", "太原市",
               ("职业教育", "现代农业"), "13903510006"),
    ExpertSpec("expert_yang", "杨永红", "高级技师", 26, "太原钢铁（集团）有限公司", "太原市",
               ("智能制造",), "13903510007"),
    ExpertSpec("expert_huang", "黄丽娟", "研究员", 17, "山西省职业技术教育研究所", "太原市",
               ("职业教育",), "13903510008"),
    ExpertSpec("expert_zhou", "周文斌", "教授", 24, "山西农业大学", "晋中市",
               ("现代农业",), "13903540009"),
    ExpertSpec("expert_wu", "吴国庆", "正高级会计师", 20, "山西省财政科学研究所", "太原市",
               ("现代农业", "新能源汽车", "智能制造", "高端装备制造", "职业教育"), "13903510010"),
    ExpertSpec("expert_sun", "孙建华", "高级工程师", 18, "晋中国家农业高新技术产业示范区管委会",
               "晋中市", ("现代农业",), "13903540011",
               relations=(FORMER_ZGQ,)),
    ExpertSpec("expert_ma", "马丽萍", "教授", 23, "太原科技大学", "太原市",
               ("高端装备制造", "职业教育", "现代农业"), "13903510012"),
    ExpertSpec("expert_gao", "高建平", "推广研究员", 27, "山西省农业技术推广总站", "太原市",
               ("现代农业",), "13903510013"),
    ExpertSpec("expert_xu", "徐丽君", "副教授", 15, "运城职业技术大学", "运城市",
               ("现代农业", "职业教育"), "13903590014"),
]  # fmt: skip

REVIEW_CALL = "agri"  # the demo call whose window passes during loading
SCORE_SHARE = (Decimal("0.82"), Decimal("0.76"), Decimal("0.88"), Decimal("0.71"), Decimal("0.8"))


def load_review(loader: DemoLoader) -> list[tuple[str, str, str]]:
    """Returns the drawn experts as (username, name, invitation state), for the login table."""
    staff = loader._member(Role.OFFICE_STAFF, office=loader.offices["province"])
    _load_experts(loader, staff)
    for call in loader.calls.values():
        if not Rubric.objects.filter(call=call).exists():
            rubric_load_sample(key="shanxi", by=None, call=call)
    return _review_stage(loader, staff)


def _load_experts(loader: DemoLoader, staff) -> None:
    for spec in EXPERTS:
        if Expert.objects.filter(user__username=spec.username).exists():
            continue
        expert = expert_create(
            entry=ExpertEntry(
                name=spec.name,
                title=spec.title,
                years_of_work=spec.years,
                region=spec.region,
                phone=spec.phone,
                employer=spec.employer,
                sectors=spec.sectors,
                relations=spec.relations,
            ),
            by=staff,
        )
        # A demo login: the pool gives new experts a login without a password.
        expert.user.username = spec.username
        expert.user.password = loader._password()
        expert.user.save(update_fields=["username", "password"])
        loader.result.count("experts", True)


def _review_stage(loader: DemoLoader, staff) -> list[tuple[str, str, str]]:
    call = loader.calls.get(REVIEW_CALL)
    if call is None:
        return []
    call.refresh_from_db()
    if call.state == CallState.PUBLISHED and not call.window_is_open:
        for application in call.applications.filter(state=ApplicationState.SUBMITTED):
            application_accept(application=application, by=staff, reason="材料齐全，符合申报条件")
        call = call_services.call_close(call=call, by=staff)
    if call.state == CallState.CLOSED:
        call = call_services.call_start_review(call=call, by=staff)
    if call.state != CallState.UNDER_REVIEW:
        return []
    draw = review_services.draw_configure(
        call=call, by=staff, mode=DrawMode.PANEL, panel_size=5, alternates=2,
        required_sectors=["现代农业"], cap_per_employer=1,
    ) if not call.draws.exists() else call.draws.order_by("-id").first()  # fmt: skip
    if draw.state == "configured":
        draw = review_services.draw_perform(draw=draw, by=staff)
        _answer_and_score(draw)
    with translation.override("zh-hans"):
        return [
            (inv.expert.user.username, inv.expert.name, str(inv.get_state_display()))
            for inv in draw.invitations.exclude(state=InvitationState.RESERVE)
            .select_related("expert__user")
            .order_by("position")
        ]


def _answer_and_score(draw) -> None:
    """Every invited expert accepts; all but the last submit their sheets, so the ranking has
    figures and one demo expert still has sheets to score."""
    invited = list(draw.invitations.filter(state=InvitationState.INVITED).order_by("position"))
    for invitation in invited:
        review_services.invitation_accept(
            invitation=invitation,
            by=invitation.expert.user,
            declaration="本人与本次评审的申报单位及合作单位无利害关系，并对评审内容保密。",
        )
    tree = call_rubric_tree(draw.call)
    for n, invitation in enumerate(invited[:-1]):
        for k, sheet in enumerate(Assignment.objects.filter(invitation=invitation).order_by("id")):
            share = SCORE_SHARE[(n + k) % len(SCORE_SHARE)]
            marks = {
                i.code: Mark(
                    (i.weight * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                    "依据申报材料和现场核查情况评分。",
                )
                for i in tree.judged
            }
            score_sheet_submit(assignment=sheet, by=invitation.expert.user, marks=marks)
