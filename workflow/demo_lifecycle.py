"""演示数据 (after approval): the pages that come after the expert review, with Shanxi data.

Three more provincial calls, every step through workflow.services as in workflow.demo:

- 工业互联网 (the notice call), in real time: published with a window that ends a few seconds
  after loading starts (as the closing call of workflow.demo), two applications submitted while
  it is open; once the window is over the office checks them, closes the call, draws a panel
  whose experts all score, confirms the ranking and opens the public notice (公示). The notice
  lasts five working days, so the call stays in notice: office staff may open its countersign.
- 煤机智能装备 (the construction call), on the demo's own past timeline: published about six
  months ago, reviewed, in notice, countersigned by all seven member departments, approved and
  decided by the director; its winner confirmed its task agreement (Wucheng's subsidy rules),
  filed its progress reports but the latest, which is overdue (the scheduler escalates it), and
  asks for fault tolerance (容错纠错), awaiting the office's assessment.
- 轨道交通装备 (the award call), on the same past timeline two years earlier: its winner built
  the base, filed its reports, passed the acceptance review (评审认定) and was awarded the plaque
  (授牌) last year; the yearly performance evaluation (绩效评价) of last year is open and its
  self-report submitted, awaiting the office's evaluation.

Why a past timeline: the services refuse what would be dishonest in real time (a call cannot be
published with its window over, a report cannot be filed before its period, an award cannot be
dated in the future, performance cannot be opened for a year with no award yet), and the selection
flow waits for the five-working-day notice to end before the countersign. So the two older calls
are run with the clock set back by time-machine (a dev dependency that `make install`, hence
`make run`, installs), step by step in date order, exactly as the office, the experts, the
departments, the director and the applicants would have acted on those dates. Nothing sets a
state; the audit events carry the dates of that timeline, in the order the loader wrote them.
Without time-machine (a production install) those two calls are skipped with a warning.

Directly awarded bases (CallRoute.DIRECT_AWARD) are not shown: no service or form can create a
direct-award call yet (`route` is not one of workflow.services.calls.CALL_TERMS), and setting the
field by hand would bypass the audited terms of the call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from processes import engine
from workflow.choices import (
    ApplicationState,
    AttachmentKind,
    ConstructionMode,
    DrawMode,
    Function,
    FundingSource,
    InvitationState,
    Level,
    Role,
)
from workflow.models import (
    Agreement,
    Application,
    Assignment,
    Award,
    Call,
    Department,
    Membership,
    PerformanceReview,
    ProgressReport,
    SubsidyRule,
    ToleranceCase,
)
from workflow.models.countersign import Countersign
from workflow.models.landing import ReportState
from workflow.rules import acceptance as acceptance_rules
from workflow.rules.performance import INDICATOR_CODES
from workflow.rules.scoring import Mark
from workflow.rules.subsidies import WUCHENG_RULES
from workflow.selectors.scoring import call_rubric_tree
from workflow.services import applications as app_services
from workflow.services import award as award_services
from workflow.services import calls as call_services
from workflow.services import countersign as countersign_services
from workflow.services import landing as landing_services
from workflow.services import performance as performance_services
from workflow.services import publicity as publicity_services
from workflow.services import ranking as ranking_services
from workflow.services import review as review_services
from workflow.services import scoring as scoring_services
from workflow.services import tolerance as tolerance_services
from workflow.services.rubrics import rubric_load_sample

if TYPE_CHECKING:
    from workflow.demo import DemoLoader, Login

F = Function
M = ConstructionMode
K = AttachmentKind
FS = FundingSource

# Approvers for the member departments workflow.demo leaves without one: every department must
# agree before the director decides (会签), so each needs a person. (username, name, department)
APPROVERS = [
    ("approver_gxt", "贺志刚", "省工业和信息化厅"),
    ("approver_rst", "梁淑芬", "省人力资源和社会保障厅"),
    ("approver_gzw", "段宏伟", "省国资委"),
    ("approver_xqj", "苗春燕", "省小企业发展促进局"),
]

OPINIONS = {
    "省发展改革委": "同意。项目符合全省产教融合重大平台载体布局，建议纳入省级预算内投资支持范围。",
    "省教育厅": "同意。请对接相关专业群建设，落实校企“双导师”制度。",
    "省工业和信息化厅": "同意。项目对接我省重点产业链，建议加强与链主企业协同。",
    "省财政厅": "同意。奖补资金请严格按照资金管理办法使用，专款专用。",
    "省人力资源和社会保障厅": "同意。建议同步建设职业技能等级认定考核站点。",
    "省国资委": "同意。省属国有企业参与共建的，请按规定履行投资决策程序。",
    "省小企业发展促进局": "同意。建议向中小企业开放共享实训资源。",
}
DECLARATION = "本人与本次评审的申报单位及合作单位无利害关系，并对评审内容保密。"
# Each expert's share of every judged indicator's weight, added to the application's base share:
# the panel stays within the rubric's dispersion margin.
EXPERT_OFFSETS = (
    Decimal("0.02"),
    Decimal("-0.03"),
    Decimal("0.04"),
    Decimal("0"),
    Decimal("-0.02"),
)
DRAW_SECTORS = ["智能制造", "高端装备制造", "新能源汽车"]


@dataclass(frozen=True)
class Proposal:
    organisation: str
    title: str
    construction_mode: str
    functions: list[str]
    plan: str
    project_lead: str
    contact_phone: str
    funding: Mapping[str, Decimal]
    trainees: int  # declared 年培训规模 (人次), verified as declared
    enterprises: int  # declared 签约合作企业数
    share: Decimal  # the experts' base share of each judged weight


@dataclass(frozen=True)
class LifecycleCall:
    key: str
    title: str
    sector: str
    description: str
    proposals: tuple[Proposal, ...]
    functions: list[str] = field(default_factory=lambda: [F.TRAINING, F.PRODUCTION])
    eligible_applicant_types: list[str] = field(
        default_factory=lambda: ["vocational_school", "park", "key_enterprise", "university"]
    )
    allowed_modes: list[str] = field(
        default_factory=lambda: [M.SCHOOL_LED, M.ENTERPRISE_LED, M.PARK_LED]
    )
    required_attachments: list[str] = field(
        default_factory=lambda: [K.APPLICATION_FORM, K.LEGAL_ENTITY_CERTIFICATE]
    )
    quota: int = 1


NOTICE_CALL = LifecycleCall(
    key="iiot",
    title="山西省工业互联网产教融合实训基地",
    sector="智能制造（工业互联网）",
    description=(
        "面向我省制造业数字化转型，聚焦工业互联网平台应用、工业数据采集与分析、智能产线"
        "运维等岗位需求，建设省级工业互联网产教融合实训基地。\n"
        "建设内容：建设工业互联网标识解析、边缘计算与数据采集、数字孪生产线等实训区，"
        "年开展实训和职业技能培训不少于2000人次；承接企业真实生产和技术服务任务。\n"
        "申报要求：申报主体为高等学校、职业院校、开发区（园区）或行业骨干企业，须有稳定的"
        "合作企业和建设资金来源。"
    ),
    proposals=(
        Proposal(
            organisation="tycvc",
            title="太原城市职业技术学院工业互联网产教融合实训基地",
            construction_mode=M.SCHOOL_LED,
            functions=[F.TRAINING, F.PRODUCTION, F.EVALUATION],
            plan=(
                "联合省内工业互联网平台企业，改造实训楼4500平方米，建设标识解析、边缘计算、"
                "数字孪生产线三个实训区，年培训学员和企业职工2400人次。"
            ),
            project_lead="贾慧敏",
            contact_phone="0351-5550177",
            funding={
                FS.GOVERNMENT_INVESTMENT: Decimal("1200.00"),
                FS.SELF_RAISED: Decimal("500.00"),
            },
            trainees=2400,
            enterprises=18,
            share=Decimal("0.84"),
        ),
        Proposal(
            organisation="tzgf",
            title="太重工业互联网平台应用实训中心",
            construction_mode=M.ENTERPRISE_LED,
            functions=[F.TRAINING, F.INNOVATION, F.PRODUCTION],
            plan=(
                "依托太重智能工厂和自建工业互联网平台，建设面向装备制造企业的平台应用实训中心，"
                "年培训企业职工和在校生1600人次。"
            ),
            project_lead="郝振华",
            contact_phone="0351-5550155",
            funding={FS.SELF_RAISED: Decimal("1500.00")},
            trainees=1600,
            enterprises=12,
            share=Decimal("0.78"),
        ),
    ),
)

BUILD_CALL = LifecycleCall(
    key="coal",
    title="山西省煤机智能装备产教融合实训基地",
    sector="高端装备制造（煤机智能装备）",
    description=(
        "服务煤炭产业智能化改造，聚焦智能综采、掘进装备、矿用机器人的运维与检修，建设省级"
        "煤机智能装备产教融合实训基地。\n"
        "建设内容：建设智能综采工作面仿真实训系统、煤机装备检修实训车间和矿用机器人实训区，"
        "年开展实训和职业技能培训不少于2500人次。\n"
        "申报要求：申报主体为职业院校、开发区（园区）或行业骨干企业，须联合煤炭或煤机企业共建。"
    ),
    proposals=(
        Proposal(
            organisation="jidian",
            title="煤矿智能装备运维产教融合实训基地",
            construction_mode=M.SCHOOL_LED,
            functions=[F.TRAINING, F.PRODUCTION, F.EVALUATION],
            plan=(
                "联合潞安化工集团、山西天地煤机装备有限公司，新建智能综采仿真实训中心和煤机检修"
                "实训车间5000平方米，建设期三年，年培训煤矿一线职工和在校生2800人次。"
            ),
            project_lead="牛晓东",
            contact_phone="0355-5550123",
            funding={
                FS.GOVERNMENT_INVESTMENT: Decimal("1600.00"),
                FS.SPECIAL_BONDS: Decimal("800.00"),
                FS.SELF_RAISED: Decimal("400.00"),
            },
            trainees=2800,
            enterprises=15,
            share=Decimal("0.85"),
        ),
        Proposal(
            organisation="zgq",
            title="示范区智能装备园区公共实训中心",
            construction_mode=M.PARK_LED,
            functions=[F.TRAINING, F.PRODUCTION],
            plan="依托示范区装备制造产业园，建设园区公共实训中心，年培训1500人次。",
            project_lead="白云飞",
            contact_phone="0351-5550166",
            funding={FS.GOVERNMENT_INVESTMENT: Decimal("1800.00")},
            trainees=1500,
            enterprises=9,
            share=Decimal("0.76"),
        ),
    ),
)

AWARD_CALL = LifecycleCall(
    key="rail",
    title="山西省轨道交通装备产教融合实训基地",
    sector="高端装备制造（轨道交通装备）",
    description=(
        "围绕我省轨道交通装备产业链，建设集实习实训、生产服务、技能评价于一体的省级轨道交通"
        "装备产教融合实训基地。\n"
        "建设内容：建设轮轴制造、转向架装配与检修实训线，年培训不少于2000人次。\n"
        "申报要求：申报主体为职业院校、开发区（园区）或行业骨干企业，须联合院校或企业共建。"
    ),
    proposals=(
        Proposal(
            organisation="tzgf",
            title="太重轨道交通装备“厂中校”生产性实训基地",
            construction_mode=M.ENTERPRISE_LED,
            functions=[F.TRAINING, F.PRODUCTION, F.EVALUATION],
            plan=(
                "以“厂中校”方式改造太重轨道交通公司车间7000平方米，建设轮对、车轴和转向架装配"
                "与检修三条生产性实训线，联合太原城市职业技术学院开展订单培养，年培训2600人次。"
            ),
            project_lead="郝振华",
            contact_phone="0351-5550155",
            funding={
                FS.SELF_RAISED: Decimal("2200.00"),
                FS.GOVERNMENT_INVESTMENT: Decimal("800.00"),
            },
            trainees=2600,
            enterprises=14,
            share=Decimal("0.86"),
        ),
        Proposal(
            organisation="jidian",
            title="轨道交通车辆检修实训中心",
            construction_mode=M.SCHOOL_LED,
            functions=[F.TRAINING, F.PRODUCTION],
            plan="改造校内实训中心3000平方米，建设城轨车辆检修实训区，年培训1200人次。",
            project_lead="牛晓东",
            contact_phone="0355-5550123",
            funding={
                FS.GOVERNMENT_INVESTMENT: Decimal("900.00"),
                FS.SELF_RAISED: Decimal("300.00"),
            },
            trainees=1200,
            enterprises=6,
            share=Decimal("0.74"),
        ),
    ),
)

LIFECYCLE_CALLS = [NOTICE_CALL, BUILD_CALL, AWARD_CALL]

REPORT_TEXT = {
    "monthly": "{period}月调度：按任务书推进实训场地改造和设备采购，本月完成投资{amount}万元，"
    "开展实训{heads}人次，无安全事故。",
    "quarterly": "{period}季度通报：本季度累计完成投资{amount}万元，建设进度符合任务书安排；"
    "校企共同开发实训项目2个。",
    "annual": "{period}年度总结：全年完成建设投资{amount}万元，累计开展实训和职业技能培训{heads}"
    "人次，合作企业稳定，下一年度将重点推进设备安装调试和试运行。",
}


def _share(weight: Decimal, share: Decimal) -> Decimal:
    return (weight * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Lifecycle:
    """The after-approval part of the demo; `run()` is called inside DemoLoader.run()."""

    def __init__(self, loader: DemoLoader) -> None:
        self.loader = loader
        self.office = loader.offices["province"]
        self.staff = loader._member(Role.OFFICE_STAFF, office=self.office)
        self.director = loader._member(Role.OFFICE_DIRECTOR, office=self.office)
        self.now = timezone.localtime()
        self.travel: Any = None  # time_machine.travel, when installed

    # the clock

    def local(
        self, year: int, month: int, day: int, hour: int = 10, minute: int = 0
    ) -> dt.datetime:
        tz = timezone.get_current_timezone()
        return dt.datetime(year, month, day, hour, minute, tzinfo=tz)

    def days_ago(self, days: float, hour: int = 10) -> dt.datetime:
        day = self.now - dt.timedelta(days=days)
        return day.replace(hour=hour, minute=0, second=0, microsecond=0)

    @contextlib.contextmanager
    def at(self, when: dt.datetime | None) -> Iterator[None]:
        """Run the block at `when` on the demo's past timeline (the clock then ticks on), or in
        real time when `when` is None."""
        if when is None:
            yield
            return
        assert when < timezone.now(), "the demo's timeline lies in the past"
        with self.travel(when, tick=True):
            yield

    # people

    def load_approvers(self) -> list[Login]:
        from workflow.demo import ROLE_LABELS, Login

        logins = []
        for username, name, short_name in APPROVERS:
            department = Department.objects.get(office=self.office, short_name=short_name)
            user = self.loader._user(username, name)
            self.loader.users[username] = user
            _, created = Membership.objects.get_or_create(
                user=user, role=Role.DEPARTMENT_APPROVER, department=department
            )
            self.loader.result.count("memberships", created)
            logins.append(Login(username, ROLE_LABELS[Role.DEPARTMENT_APPROVER], department.name))
        return logins

    # the selection, step by step

    def create_call(self, spec: LifecycleCall, opens_at: dt.datetime, closes_at: dt.datetime):
        call = call_services.call_create(
            office=self.office,
            by=self.staff,
            terms={
                "title": spec.title,
                "sector": spec.sector,
                "level": Level.PROVINCE,
                "description": spec.description,
                "functions": list(spec.functions),
                "eligible_applicant_types": list(spec.eligible_applicant_types),
                "allowed_modes": list(spec.allowed_modes),
                "required_attachments": list(spec.required_attachments),
                "quota": spec.quota,
                "opens_at": opens_at,
                "closes_at": closes_at,
            },
        )
        rubric_load_sample(key="shanxi", by=self.staff, call=call)
        call = call_services.call_publish(call=call, by=self.staff)
        self.loader.result.count("calls", True)
        return call

    def indicator_codes(self, call: Call) -> dict[str, str]:
        tree = call_rubric_tree(call)
        return {i.name: i.code for i in tree.quantitative}

    def apply(self, call: Call, proposal: Proposal) -> Application:
        from workflow.demo import ATTACHMENT_FILES, pdf_document

        organisation = self.loader.organisations[proposal.organisation]
        applicant = self.loader._member(Role.APPLICANT, organisation=organisation)
        codes = self.indicator_codes(call)
        application = app_services.application_create(
            call=call,
            organisation=organisation,
            by=applicant,
            content={
                "title": proposal.title,
                "construction_mode": proposal.construction_mode,
                "functions": list(proposal.functions),
                "plan": proposal.plan,
                "project_lead": proposal.project_lead,
                "contact_phone": proposal.contact_phone,
                "indicator_values": {
                    codes["年培训规模"]: str(proposal.trainees),
                    codes["签约合作企业数"]: str(proposal.enterprises),
                },
            },
            partner_ids=[],
            funding=dict(proposal.funding),
        )
        for kind in call.required_attachments:
            name, pages = ATTACHMENT_FILES[kind]
            content = pdf_document(f"{organisation.name} {proposal.title} {name}", pages)
            upload = SimpleUploadedFile(name, content, content_type="application/pdf")
            app_services.attachment_add(
                application=application, kind=kind, upload=upload, by=applicant
            )
        application = app_services.application_submit(application=application, by=applicant)
        self.loader.result.count("applications", True)
        return application

    def review(self, call: Call, spec: LifecycleCall, start: dt.datetime | None) -> Call:
        """Formal checks, the draw, every sheet, the verified values and the confirmed ranking;
        one working step a day from `start` (or all now, in real time)."""

        def day(n: int) -> dt.datetime | None:
            return None if start is None else start + dt.timedelta(days=n)

        shares = {p.title: p.share for p in spec.proposals}
        with self.at(day(0)):
            for application in call.applications.filter(state=ApplicationState.SUBMITTED):
                app_services.application_accept(
                    application=application,
                    by=self.staff,
                    reason="材料齐全，申报主体及建设模式符合榜单要求，形式审查通过。",
                )
            call = call_services.call_close(call=call, by=self.staff)
            call = call_services.call_start_review(call=call, by=self.staff)
            draw = review_services.draw_configure(
                call=call,
                by=self.staff,
                mode=DrawMode.PANEL,
                panel_size=5,
                alternates=1,
                required_sectors=DRAW_SECTORS,
                cap_per_employer=1,
            )
            draw = review_services.draw_perform(draw=draw, by=self.staff)
        invited = list(draw.invitations.filter(state=InvitationState.INVITED).order_by("position"))
        with self.at(day(1)):
            for invitation in invited:
                review_services.invitation_accept(
                    invitation=invitation, by=invitation.expert.user, declaration=DECLARATION
                )
        tree = call_rubric_tree(call)
        for n, invitation in enumerate(invited):
            with self.at(day(2 + n)):
                sheets = Assignment.objects.filter(invitation=invitation).select_related(
                    "application"
                )
                for sheet in sheets.order_by("id"):
                    share = shares[sheet.application.title] + EXPERT_OFFSETS[n % 5]
                    marks = {
                        i.code: Mark(_share(i.weight, share), "依据申报材料和现场核查情况评分。")
                        for i in tree.judged
                    }
                    scoring_services.score_sheet_submit(
                        assignment=sheet, by=invitation.expert.user, marks=marks
                    )
        with self.at(day(2 + len(invited))):
            proposals = {p.title: p for p in spec.proposals}
            for application in call.applications.filter(state=ApplicationState.UNDER_REVIEW):
                proposal = proposals[application.title]
                values: dict[str, tuple[Any, str]] = {}
                for indicator in tree.verifiable:
                    if indicator.name == "年培训规模":
                        values[indicator.code] = (proposal.trainees, "经核对培训台账，与申报一致。")
                    elif indicator.name == "签约合作企业数":
                        values[indicator.code] = (proposal.enterprises, "经核对合作协议。")
                    else:  # a veto item: not established
                        values[indicator.code] = (0, "")
                scoring_services.values_verify(
                    application=application, by=self.staff, values=values
                )
            review_services.draw_close(draw=draw, by=self.staff)
            ranking_services.shortlist_confirm(
                call=call, by=self.staff, reason="按评分细则汇总排序，拟入选名单在名额内确定。"
            )
        call.refresh_from_db()
        return call

    def decide(self, call: Call, start: dt.datetime) -> None:
        """After the notice: the scheduler's tick, the countersign of every member department,
        the director's approval and decision (past timeline only)."""
        publicity = call.publicity
        after = timezone.localtime(publicity.ends_at) + dt.timedelta(days=1)
        after = max(after.replace(hour=9, minute=30, second=0, microsecond=0), start)
        with self.at(after):
            engine.tick()  # what run_scheduler does: the notice has ended, no objection came
            countersign_round = countersign_services.countersign_open(call=call, by=self.staff)
        countersigns = Countersign.objects.filter(round=countersign_round).select_related(
            "department"
        )
        for n, countersign in enumerate(countersigns.order_by("department_id")):
            department = countersign.department
            with self.at(after + dt.timedelta(days=1, hours=n)):
                countersign_services.countersign_sign(
                    countersign=countersign,
                    by=self.loader._member(Role.DEPARTMENT_APPROVER, department=department),
                    agree=True,
                    opinion=OPINIONS.get(department.short_name, "同意。"),
                )
        with self.at(after + dt.timedelta(days=3)):
            for application in call.applications.filter(state=ApplicationState.SHORTLISTED):
                app_services.application_approve(
                    application=application,
                    by=self.director,
                    reason="经公示无异议，成员单位会签一致同意，批准入选。",
                )
            call_services.call_decide(call=call, by=self.director)

    def select(self, spec: LifecycleCall, published: dt.datetime) -> Application:
        """A call of the past timeline from publication to the director's decision; returns
        the approved application."""
        with self.at(published):
            call = self.create_call(
                spec, opens_at=published, closes_at=published + dt.timedelta(days=30)
            )
        applications = []
        for n, proposal in enumerate(spec.proposals):
            with self.at(published + dt.timedelta(days=12 + 3 * n)):
                applications.append(self.apply(call, proposal))
        call = self.review(call, spec, published + dt.timedelta(days=31))
        with self.at(published + dt.timedelta(days=42)):
            publicity_services.publicity_open(call=call, by=self.staff)
        call.refresh_from_db()
        self.decide(call, published + dt.timedelta(days=43))
        self.loader.calls[spec.key] = call
        return call.applications.get(state=ApplicationState.APPROVED)

    # landing

    def ensure_subsidy_rules(self) -> None:
        codes = {rule.code for rule in WUCHENG_RULES}
        if SubsidyRule.objects.filter(code__in=codes).count() < len(codes):
            call_command("load_subsidy_rules", stdout=io.StringIO())

    def land(
        self,
        application: Application,
        when: dt.datetime,
        starts_on: dt.date,
        targets: str,
        milestones: list[tuple[str, dt.date]],
        fit_out_cost: Decimal,
        trainees_per_year: list[int],
    ) -> Agreement:
        applicant = self.loader._member(Role.APPLICANT, organisation=application.organisation)
        funding = {f.source: f.amount for f in application.funding.all()}
        with self.at(when):
            agreement = landing_services.agreement_draft(
                application=application,
                by=self.staff,
                targets=targets,
                term_years=3,
                starts_on=starts_on,
                budget_total=sum(funding.values(), Decimal(0)),
                funding=funding,
                milestones=[{"title": t, "due_on": d} for t, d in milestones],
                fit_out_cost=fit_out_cost,
                trainees_per_year=trainees_per_year,
            )
        with self.at(when + dt.timedelta(days=1)):
            agreement = landing_services.agreement_send(agreement=agreement, by=self.staff)
        with self.at(when + dt.timedelta(days=4)):
            agreement = landing_services.agreement_confirm(agreement=agreement, by=applicant)
        self.loader.result.count("agreements", True)
        return agreement

    def file_reports(self, agreement: Agreement, until: dt.datetime, leave_last: bool) -> int:
        """File every report due before `until`, two days before its due date; with
        `leave_last`, the latest of them stays unfiled (overdue)."""
        applicant = self.loader._member(
            Role.APPLICANT, organisation=agreement.application.organisation
        )
        due = list(
            ProgressReport.objects.filter(
                agreement=agreement, state=ReportState.DUE, due_at__lt=until
            ).order_by("due_at", "id")
        )
        if leave_last and due:
            due = due[:-1]
        for n, report in enumerate(due, start=1):
            when = timezone.localtime(report.due_at) - dt.timedelta(days=2)
            with self.at(when.replace(hour=15, minute=0, second=0, microsecond=0)):
                landing_services.report_submit(
                    report=report,
                    by=applicant,
                    content=REPORT_TEXT[report.kind].format(
                        period=report.period, amount=60 + 15 * n, heads=120 * n
                    ),
                )
        for _ in due:
            self.loader.result.count("progress reports filed", True)
        return len(due)

    # the three calls

    def build_project(self) -> None:
        """煤机智能装备: decided some five months ago; under construction, one report overdue,
        a fault-tolerance request awaiting the office."""
        published = self.days_ago(190, hour=9)
        application = self.select(BUILD_CALL, published)
        approved_on = published + dt.timedelta(days=50)
        first = (approved_on + dt.timedelta(days=12)).date()
        starts_on = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        agreement = self.land(
            application,
            when=approved_on + dt.timedelta(days=7),
            starts_on=starts_on,
            targets=(
                "建成智能综采仿真实训中心和煤机检修实训车间5000平方米，配置综采、掘进、矿用机器人"
                "实训设备；建设期内累计培训煤矿一线职工和在校生不少于7000人次，建成煤机装备"
                "职业技能等级认定考核站点。"
            ),
            milestones=[
                ("完成实训车间改造和设备招标采购", _add_months(starts_on, 4)),
                ("完成智能综采仿真实训系统安装调试", _add_months(starts_on, 10)),
                ("实训基地试运行，启用职业技能等级认定考核站点", _add_months(starts_on, 20)),
                ("完成全部建设任务，申请评审认定", _add_months(starts_on, 34)),
            ],
            fit_out_cost=Decimal("3200000.00"),
            trainees_per_year=[1800, 2500, 2800],
        )
        self.file_reports(agreement, until=timezone.now(), leave_last=True)
        with self.at(self.days_ago(4, hour=16)):
            tolerance_services.tolerance_request(
                application=application,
                by=self.loader._member(Role.APPLICANT, organisation=application.organisation),
                shortfall=(
                    "智能综采仿真实训系统主要设备由供应商延期交付约两个月，“完成实训车间改造和"
                    "设备招标采购”节点预计不能按任务书约定时间完成。"
                ),
                reasons=(
                    "设备采购严格执行政府采购程序，延期系供应商产能受限所致，非我院主观过错；"
                    "我院已书面督促供应商并调整施工组织，未发生违规支出，"
                    "拟于节点到期后两个月内完成。"
                ),
            )
        self.loader.result.count("tolerance cases", True)

    def award_base(self) -> None:
        """轨道交通装备: decided two years before last, built, accepted and awarded last year;
        last year's performance evaluation open with the self-report in."""
        last_year = self.now.year - 1
        published = self.local(last_year - 1, 3, 4, 9)
        application = self.select(AWARD_CALL, published)
        starts_on = dt.date(last_year - 1, 6, 1)
        agreement = self.land(
            application,
            when=self.local(last_year - 1, 5, 8),
            starts_on=starts_on,
            targets=(
                "改造生产车间7000平方米，建成轮对、车轴和转向架装配与检修三条生产性实训线；"
                "建设期内累计培训8000人次，与3所以上职业院校开展订单培养。"
            ),
            milestones=[
                ("完成车间改造和实训线设备采购", dt.date(last_year - 1, 12, 31)),
                ("三条生产性实训线投入使用", dt.date(last_year, 3, 31)),
                ("完成全部建设任务，申请评审认定", dt.date(last_year + 2, 3, 31)),
            ],
            fit_out_cost=Decimal("2600000.00"),
            trainees_per_year=[2000, 2600, 3000],
        )
        applicant = self.loader._member(Role.APPLICANT, organisation=application.organisation)
        declared = self.local(last_year, 4, 15)
        # Every report due by the declaration of completion (its day included) is filed.
        self.file_reports(agreement, until=declared + dt.timedelta(days=1), leave_last=False)
        for milestone, done_on in zip(
            agreement.milestones.order_by("due_on")[:2],
            (dt.date(last_year - 1, 12, 20), dt.date(last_year, 3, 28)),
            strict=False,
        ):
            with self.at(self.local(done_on.year, done_on.month, done_on.day, 17)):
                landing_services.milestone_done(milestone=milestone, by=applicant, done_on=done_on)
        with self.at(declared):
            acceptance = award_services.acceptance_declare(
                application=application,
                by=applicant,
                completion_report=(
                    "三条生产性实训线已全部建成并投入使用，提前完成任务书约定的建设任务；"
                    "累计培训4600人次，与太原城市职业技术学院等3所院校开展订单培养。"
                ),
            )
        with self.at(self.local(last_year, 4, 22)):
            acceptance = award_services.acceptance_draw_panel(acceptance=acceptance, by=self.staff)
        with self.at(self.local(last_year, 5, 20, 15)):
            sheets = {
                member["expert"]: {
                    i.code: str(_share(i.weight, Decimal("0.86") + EXPERT_OFFSETS[n % 5]))
                    for i in acceptance_rules.RUBRIC
                }
                for n, member in enumerate(acceptance.panel)
            }
            award_services.acceptance_record_scores(
                acceptance=acceptance,
                by=self.staff,
                sheets=sheets,
                conclusion="专家组现场核查认为，建设任务全面完成，实训功能齐全，同意通过评审认定。",
            )
        with self.at(self.local(last_year, 6, 18)):
            award_services.award_grant(application=application, by=self.staff)
        self.loader.result.count("awards", True)
        opened = self.days_ago(20, hour=9)
        with self.at(opened):
            (review,) = performance_services.performance_open(
                office=self.office,
                year=last_year,
                by=self.staff,
                due_at=opened + dt.timedelta(days=30),
            )
        with self.at(self.days_ago(3, hour=11)):
            performance_services.performance_submit(
                review=review,
                by=applicant,
                indicator_values=dict(zip(INDICATOR_CODES, (2750, 16, 52000, 830, 7), strict=True)),
                self_assessment=(
                    f"{last_year}年基地开展实训和职业技能培训2750人次，合作企业16家，完成技能"
                    "等级认定830人；承接企业生产任务7项。年度目标全部完成。"
                ),
            )
        self.loader.result.count("performance reviews", True)

    def start_notice_call(self) -> Call:
        """Real time: published with a window that ends a few seconds from now; both
        applications submitted while it is open."""
        from workflow.demo import CLOSING_WINDOW_SECONDS

        now = timezone.now()
        call = self.create_call(
            NOTICE_CALL,
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(seconds=CLOSING_WINDOW_SECONDS),
        )
        for proposal in NOTICE_CALL.proposals:
            self.apply(call, proposal)
        return call

    def finish_notice_call(self, call: Call) -> None:
        """Real time, once the window is over: checks, review, ranking, public notice."""
        wait = (call.closes_at - timezone.now()).total_seconds()
        if wait > 0:
            self.loader.log(f"Waiting {wait:.1f} s for the window of the notice call to end ...")
            self.loader.sleep(wait + 0.05)
        call = self.review(call, NOTICE_CALL, None)
        publicity_services.publicity_open(call=call, by=self.staff)

    def run(self) -> list[Login]:
        logins = self.load_approvers()
        existing = {
            spec.key: Call.objects.filter(office=self.office, title=spec.title).first()
            for spec in LIFECYCLE_CALLS
        }
        notice = None
        if existing[NOTICE_CALL.key] is None:
            notice = self.start_notice_call()
        past = [
            (AWARD_CALL, self.award_base),
            (BUILD_CALL, self.build_project),
        ]
        if any(existing[spec.key] is None for spec, _ in past):
            try:
                import time_machine
            except ImportError:
                time_machine = None
            if time_machine is None:
                self.loader.result.skipped += [
                    f"{spec.title} (its past timeline needs time-machine: make install)"
                    for spec, _ in past
                    if existing[spec.key] is None
                ]
            else:
                self.travel = time_machine.travel
                self.ensure_subsidy_rules()
                for spec, load in past:
                    if existing[spec.key] is None:
                        load()
        if notice is not None:
            self.finish_notice_call(notice)
        for spec in LIFECYCLE_CALLS:
            call = Call.objects.filter(office=self.office, title=spec.title).first()
            if call is not None:
                self.loader.calls.setdefault(spec.key, call)
                if call not in self.loader.result.calls:
                    self.loader.result.calls.append(call)
        return logins


def _add_months(day: dt.date, months: int) -> dt.date:
    """The last day of the month `months` after `day`'s month."""
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def load_lifecycle(loader: DemoLoader) -> list[Login]:
    """Load the after-approval demo; returns the logins of the users it adds."""
    return Lifecycle(loader).run()


def project_lines() -> list[str]:
    """The projects after approval, as a table for the load_demo output."""
    from workflow.demo import table

    rows = []
    for application in (
        Application.objects.filter(
            call__title__in=[spec.title for spec in LIFECYCLE_CALLS],
            state__in=[
                ApplicationState.CONSTRUCTING,
                ApplicationState.ACCEPTANCE,
                ApplicationState.AWARDED,
            ],
        )
        .select_related("organisation")
        .order_by("id")
    ):
        notes = []
        agreement = Agreement.objects.filter(application=application).first()
        if agreement is not None:
            reports = ProgressReport.objects.filter(agreement=agreement)
            filed = reports.exclude(state=ReportState.DUE).count()
            overdue = reports.filter(state=ReportState.DUE, due_at__lt=timezone.now()).count()
            notes.append(f"任务书 {agreement.state}, 报告 {filed} filed")
            if overdue and application.state == ApplicationState.CONSTRUCTING:
                notes.append(f"{overdue} overdue")
        award = Award.objects.filter(application=application).first()
        if award is not None:
            notes.append(f"牌匾 {award.number}")
        for review in PerformanceReview.objects.filter(award__application=application):
            notes.append(f"绩效评价 {review.year} {review.state}")
        for case in ToleranceCase.objects.filter(application=application):
            notes.append(f"容错纠错 {case.state}")
        rows.append(
            [application.organisation.name, application.title, application.state, "; ".join(notes)]
        )
    if not rows:
        return []
    return table(["申报主体 Organisation", "项目 Project", "状态 State", "Details"], rows)
