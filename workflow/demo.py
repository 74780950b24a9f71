"""演示数据: a small, realistic Shanxi "10+N" data set for `manage.py load_demo`.

Modelled on the Shanxi plan (seed 004): the provincial joint-meeting office
(省促进产教融合厅际联席会议办公室) with its seven member departments, two municipal work
teams (工作专班), three calls in the plan's focus sectors, eight applicant bodies of the five
applicant types, and applications in every state of the formal check.

Every state change goes through workflow.services, so each writes its audit event exactly as a
user's action would. Loading is idempotent: units, users and calls are looked up by name first,
and an application is created only when its organisation has none for that call, so a second
run changes nothing and writes no audit event.

One call ("the closing call") is published with a window that ends a few seconds after loading
starts: its applications are submitted while it is open, the loader then waits for the window to
pass (real time; nothing fakes the clock) and makes the office's formal checks afterwards. The
office can then close it (截止) and finish its formal checks in the portal.

Names of organisations are real Shanxi bodies; people, telephone numbers and unified social
credit codes are fictitious (the codes have valid check digits, GB 32100-2015).
"""

from __future__ import annotations

import datetime as dt
import io
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from workflow.choices import (
    ApplicantType,
    AttachmentKind,
    CallState,
    ConstructionMode,
    Function,
    FundingSource,
    Level,
    Role,
)
from workflow.models import Application, Call, Department, Membership, Office, Organisation
from workflow.roles import office_admin_group
from workflow.rules.credit_code import credit_code
from workflow.services import applications as app_services
from workflow.services import calls as call_services

DEMO_PASSWORD = "demo12345"  # printed on purpose: demo logins only
# How long the closing call stays open after loading starts; its applicant work must fit in it.
CLOSING_WINDOW_SECONDS = 3.0

A = ApplicantType
F = Function
M = ConstructionMode
K = AttachmentKind
FS = FundingSource


# --- the data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeSpec:
    key: str
    name: str
    level: str
    region: str
    parent: str | None = None


OFFICES = [
    OfficeSpec("province", "山西省促进产教融合厅际联席会议办公室", Level.PROVINCE, "山西省"),
    OfficeSpec("taiyuan", "太原市产教融合工作专班", Level.CITY, "太原市", parent="province"),
    OfficeSpec("datong", "大同市产教融合工作专班", Level.CITY, "大同市", parent="province"),
]

# 省促进产教融合厅际联席会议成员单位, as they sign the Shanxi plan: (name, short name).
DEPARTMENTS = [
    ("山西省发展和改革委员会", "省发展改革委"),
    ("山西省教育厅", "省教育厅"),
    ("山西省工业和信息化厅", "省工业和信息化厅"),
    ("山西省财政厅", "省财政厅"),
    ("山西省人力资源和社会保障厅", "省人力资源和社会保障厅"),
    ("山西省人民政府国有资产监督管理委员会", "省国资委"),
    ("山西省小企业发展促进局", "省小企业发展促进局"),
]


@dataclass(frozen=True)
class OrganisationSpec:
    key: str
    name: str
    applicant_type: str
    region: str
    legal_representative: str
    # (authority and type, division, organisation code body), or None for no code on file
    code_parts: tuple[str, str, str] | None

    @property
    def credit_code(self) -> str | None:
        return credit_code(*self.code_parts) if self.code_parts else None


ORGANISATIONS = [
    OrganisationSpec("jinzhong", "晋中市人民政府", A.CITY_GOVERNMENT, "晋中市", "赵国华", None),
    OrganisationSpec(
        "tyut", "太原理工大学", A.UNIVERSITY, "太原市", "孙立新", ("12", "140000", "40520037")
    ),
    OrganisationSpec(
        "sxau", "山西农业大学", A.UNIVERSITY, "晋中市", "郭振东", ("12", "140000", "40520118")
    ),
    OrganisationSpec(
        "jidian",
        "山西机电职业技术学院",
        A.VOCATIONAL_SCHOOL,
        "长治市",
        "王海峰",
        ("12", "140400", "40530261"),
    ),
    OrganisationSpec(
        "tycvc",
        "太原城市职业技术学院",
        A.VOCATIONAL_SCHOOL,
        "太原市",
        "李文静",
        ("12", "140100", "40510492"),
    ),
    OrganisationSpec(
        "zgq",
        "山西转型综合改革示范区",
        A.PARK,
        "太原市",
        "陈立军",
        ("11", "140000", "MB195730"),
    ),
    OrganisationSpec(
        "tzgf",
        "太原重工股份有限公司",
        A.KEY_ENTERPRISE,
        "太原市",
        "韩志强",
        ("91", "140100", "70100635"),
    ),
    OrganisationSpec(
        "dayun",
        "大运汽车股份有限公司",
        A.KEY_ENTERPRISE,
        "运城市",
        "刘建平",
        ("91", "140800", "71592806"),
    ),
]


@dataclass(frozen=True)
class UserSpec:
    username: str
    full_name: str
    role: str
    unit: tuple[str, str]  # ("office" | "department" | "organisation", key)


USERS = [
    UserSpec("office_sx", "周晓燕", Role.OFFICE_STAFF, ("office", "province")),
    UserSpec("director_sx", "杨永刚", Role.OFFICE_DIRECTOR, ("office", "province")),
    UserSpec("office_ty", "吴佳琪", Role.OFFICE_STAFF, ("office", "taiyuan")),
    UserSpec("approver_fgw", "冯建军", Role.DEPARTMENT_APPROVER, ("department", "省发展改革委")),
    UserSpec("approver_jyt", "马丽华", Role.DEPARTMENT_APPROVER, ("department", "省教育厅")),
    UserSpec("approver_czt", "任志鹏", Role.DEPARTMENT_APPROVER, ("department", "省财政厅")),
    UserSpec("supervisor_sx", "程国庆", Role.SUPERVISOR, ("office", "province")),
    UserSpec("applicant_tyut", "张明远", Role.APPLICANT, ("organisation", "tyut")),
    UserSpec("applicant_sxau", "闫春梅", Role.APPLICANT, ("organisation", "sxau")),
    UserSpec("applicant_jidian", "牛晓东", Role.APPLICANT, ("organisation", "jidian")),
    UserSpec("applicant_tycvc", "贾慧敏", Role.APPLICANT, ("organisation", "tycvc")),
    UserSpec("applicant_zgq", "白云飞", Role.APPLICANT, ("organisation", "zgq")),
    UserSpec("applicant_tzgf", "郝振华", Role.APPLICANT, ("organisation", "tzgf")),
    UserSpec("applicant_dayun", "薛文博", Role.APPLICANT, ("organisation", "dayun")),
    UserSpec("applicant_jinzhong", "常晓峰", Role.APPLICANT, ("organisation", "jinzhong")),
]
ADMIN_USERNAME = "admin"

ROLE_LABELS = {
    Role.APPLICANT: "申报单位 Applicant",
    Role.EXPERT: "评审专家 Expert",
    Role.OFFICE_STAFF: "办公室工作人员 Office staff",
    Role.OFFICE_DIRECTOR: "办公室负责人 Office director",
    Role.DEPARTMENT_APPROVER: "成员单位会签人 Department approver",
    Role.SUPERVISOR: "监督审计 Supervisor / auditor",
}


@dataclass(frozen=True)
class CallSpec:
    key: str
    office: str
    title: str
    sector: str
    level: str
    description: str
    functions: list[str]
    eligible_applicant_types: list[str]
    allowed_modes: list[str]
    required_attachments: list[str]
    quota: int
    closing: bool = False  # True: the window ends a few seconds after loading starts


CALLS = [
    CallSpec(
        key="nev",
        office="province",
        title="山西省新能源汽车产教融合重大平台载体和实训基地",
        sector="新能源汽车（智能制造）",
        level=Level.PROVINCE,
        description=(
            "聚焦我省新能源汽车产业集群，面向车辆工程、新能源汽车技术、智能网联汽车技术、"
            "机电一体化技术等专业大类的通用性、交叉性、复合性需求，按照“公开发榜、自愿申报、"
            "专家评议、揭榜落地”的工作程序，遴选建设省级产教融合重大平台载体和实训基地。\n"
            "建设内容：实训功能——建设整车装调、动力电池与电驱电控检测维修、智能网联测试等"
            "实训区，年开展实习实训和职业技能培训不少于3000人次；创新功能——与整车及关键零部件"
            "企业共建技术创新中心，开展关键核心技术攻关和成果转化；生产功能——按照企业生产工艺"
            "流程设计布局，承接真实生产任务，边生产边实训。\n"
            "申报要求：申报主体为高等学校、职业院校、开发区（园区）或行业骨干企业，须联合至少"
            "一家行业企业或院校共建并提交合作协议；可采取院校主导、企业主导或园区主导模式；"
            "建设资金可统筹政府投资、地方政府专项债券、申报主体自筹和社会资本投入。"
        ),
        functions=[F.TRAINING, F.INNOVATION, F.PRODUCTION],
        eligible_applicant_types=[A.UNIVERSITY, A.VOCATIONAL_SCHOOL, A.PARK, A.KEY_ENTERPRISE],
        allowed_modes=[M.SCHOOL_LED, M.ENTERPRISE_LED, M.PARK_LED],
        required_attachments=[K.APPLICATION_FORM, K.LEGAL_ENTITY_CERTIFICATE, K.PARTNER_AGREEMENT],
        quota=2,
    ),
    CallSpec(
        key="agri",
        office="province",
        title="山西省现代农业（山西农谷）产教融合实训基地",
        sector="现代农业",
        level=Level.PROVINCE,
        description=(
            "服务乡村振兴战略和黄河流域生态保护和高质量发展，依托山西农谷，聚焦有机旱作农业、"
            "功能食品、智慧农机装备等特色优势领域，建设集实习实训、技术创新、技能评价于一体的"
            "省级现代农业产教融合实训基地。\n"
            "建设内容：建设有机旱作标准化示范田、农产品加工与检测实训中心、智慧农业虚拟仿真"
            "实训系统；面向新型职业农民、农业企业员工和涉农专业学生，年培训不少于2000人次；"
            "建设农业领域职业技能等级认定考核站点。\n"
            "申报要求：申报主体为市政府、高等学校、职业院校或开发区（园区），可采取院校主导或"
            "园区主导模式；场地权属清晰，用地符合国土空间规划。"
        ),
        functions=[F.TRAINING, F.INNOVATION, F.EVALUATION],
        eligible_applicant_types=[A.CITY_GOVERNMENT, A.UNIVERSITY, A.VOCATIONAL_SCHOOL, A.PARK],
        allowed_modes=[M.SCHOOL_LED, M.PARK_LED],
        required_attachments=[K.APPLICATION_FORM, K.LEGAL_ENTITY_CERTIFICATE],
        quota=1,
        closing=True,
    ),
    CallSpec(
        key="equip",
        office="taiyuan",
        title="太原市高端装备制造产教融合实训基地",
        sector="高端装备制造",
        level=Level.CITY,
        description=(
            "围绕太原市高端装备制造产业集群，对接轨道交通装备、矿山智能装备、工业机器人等"
            "重点产业链，建设市级产教融合平台载体和实训基地，纳入全省“10+N”体系。\n"
            "建设内容：建设数控加工、工业机器人应用、智能产线运维等实训工位不少于200个；"
            "承办市级以上职业技能大赛，年组织赛事集训不少于5场；建设职业技能等级认定考核"
            "站点，面向企业职工开展技能评价。\n"
            "申报要求：申报主体为高等学校、职业院校、开发区（园区）或行业骨干企业；"
            "须提供建设资金来源证明。"
        ),
        functions=[F.TRAINING, F.COMPETITION, F.EVALUATION],
        eligible_applicant_types=[A.UNIVERSITY, A.VOCATIONAL_SCHOOL, A.PARK, A.KEY_ENTERPRISE],
        allowed_modes=[M.SCHOOL_LED, M.ENTERPRISE_LED, M.PARK_LED],
        required_attachments=[K.APPLICATION_FORM, K.LEGAL_ENTITY_CERTIFICATE, K.FUNDING_PROOF],
        quota=1,
    ),
]

# Steps after the draft is complete: the applicant's (submit, withdraw), the office's checks.
SUBMIT = "submit"
ACCEPT = "accept"
RETURN = "return"
REJECT = "reject"
WITHDRAW = "withdraw"


@dataclass(frozen=True)
class ApplicationSpec:
    call: str
    organisation: str
    title: str
    construction_mode: str
    functions: list[str]
    plan: str
    project_lead: str
    contact_phone: str
    funding: Mapping[str, Decimal]
    partners: list[str] = field(default_factory=list)
    # Attachments to upload; None: every attachment the call requires.
    attachments: list[str] | None = None
    # What happens after the draft is complete, in order: (step, reason).
    steps: list[tuple[str, str]] = field(default_factory=list)


APPLICATIONS = [
    # --- 新能源汽车 (provincial, open) ---
    ApplicationSpec(
        call="nev",
        organisation="tyut",
        title="新能源汽车与智能网联产教融合创新实训平台",
        construction_mode=M.SCHOOL_LED,
        functions=[F.TRAINING, F.INNOVATION, F.PRODUCTION, F.COMPETITION],
        plan=(
            "依托车辆工程国家一流本科专业建设点和省级重点实验室，联合太原重工、大运汽车共建。"
            "新建实训用房1.2万平方米，建设整车装调、三电系统、智能网联测试三个实训中心和一个"
            "联合技术创新中心；建设期三年，建成后年培训学员3500人次，年承接企业技术攻关项目"
            "不少于10项。"
        ),
        project_lead="张明远",
        contact_phone="0351-5550101",
        funding={
            FS.GOVERNMENT_INVESTMENT: Decimal("3000.00"),
            FS.SELF_RAISED: Decimal("1800.00"),
            FS.SOCIAL_CAPITAL: Decimal("1200.00"),
        },
        partners=["tzgf", "dayun"],
        steps=[(SUBMIT, ""), (ACCEPT, "材料齐全，申报主体及建设模式符合榜单要求，形式审查通过。")],
    ),
    ApplicationSpec(
        call="nev",
        organisation="dayun",
        title="大运新能源汽车“厂中校”生产性实训基地",
        construction_mode=M.ENTERPRISE_LED,
        functions=[F.TRAINING, F.INNOVATION, F.PRODUCTION],
        plan=(
            "以“厂中校”方式改造运城整车生产基地现有厂房8000平方米，建设新能源商用车装调"
            "和电驱系统生产性实训线，联合山西机电职业技术学院开展订单培养，年培训产业工人和"
            "在校生2000人次。"
        ),
        project_lead="薛文博",
        contact_phone="0359-5550188",
        funding={FS.SELF_RAISED: Decimal("2600.00"), FS.SPECIAL_BONDS: Decimal("1000.00")},
        partners=["jidian"],
        steps=[(SUBMIT, "")],
    ),
    ApplicationSpec(
        call="nev",
        organisation="jidian",
        title="新能源汽车检测与维修公共实训基地",
        construction_mode=M.SCHOOL_LED,
        functions=[F.TRAINING, F.INNOVATION, F.PRODUCTION, F.EVALUATION],
        plan=(
            "改扩建校内汽车实训中心6000平方米，购置动力电池检测、电机电控测试等设备，"
            "建设新能源汽车维修“1+X”证书考核站点，年开展实训和职业技能培训2500人次。"
        ),
        project_lead="牛晓东",
        contact_phone="0355-5550123",
        funding={FS.GOVERNMENT_INVESTMENT: Decimal("1500.00"), FS.SELF_RAISED: Decimal("600.00")},
        partners=["dayun"],
        steps=[
            (SUBMIT, ""),
            (
                RETURN,
                "合作协议未加盖合作企业公章，自筹资金未附资金来源证明，请补正后重新提交。",
            ),
        ],
    ),
    ApplicationSpec(
        call="nev",
        organisation="zgq",
        title="转型综改示范区新能源汽车产教融合园区实训中心",
        construction_mode=M.PARK_LED,
        functions=[F.TRAINING, F.INNOVATION, F.PRODUCTION],
        plan="依托示范区新能源汽车产业园，统筹建设园区公共实训中心（方案编制中）。",
        project_lead="白云飞",
        contact_phone="0351-5550166",
        funding={FS.GOVERNMENT_INVESTMENT: Decimal("2000.00")},
        attachments=[K.APPLICATION_FORM],  # still a draft: two attachments missing
    ),
    # --- 现代农业 (provincial, its window closes while loading) ---
    ApplicationSpec(
        call="agri",
        organisation="sxau",
        title="山西农谷有机旱作与功能农业产教融合实训基地",
        construction_mode=M.SCHOOL_LED,
        functions=[F.TRAINING, F.INNOVATION, F.EVALUATION],
        plan=(
            "依托学校太谷校区和山西农谷科技创新资源，建设有机旱作标准化示范田300亩、"
            "功能食品加工中试线和智慧农业虚拟仿真实训中心，年培训新型职业农民和学生2200人次，"
            "建设农业技能等级认定考核站点。"
        ),
        project_lead="闫春梅",
        contact_phone="0354-5550111",
        funding={
            FS.GOVERNMENT_INVESTMENT: Decimal("2200.00"),
            FS.SELF_RAISED: Decimal("800.00"),
        },
        partners=["jinzhong"],
        steps=[(SUBMIT, ""), (ACCEPT, "形式审查通过。")],
    ),
    ApplicationSpec(
        call="agri",
        organisation="jinzhong",
        title="晋中市现代农业产教融合园区实训基地",
        construction_mode=M.PARK_LED,
        functions=[F.TRAINING, F.INNOVATION, F.EVALUATION],
        plan=(
            "由山西农谷管委会统筹，联合驻地高校和职业院校建设园区实训基地，配套青年公寓和"
            "创业孵化空间，实现产教城一体化发展。"
        ),
        project_lead="常晓峰",
        contact_phone="0354-5550122",
        funding={
            FS.GOVERNMENT_INVESTMENT: Decimal("1800.00"),
            FS.SPECIAL_BONDS: Decimal("1500.00"),
        },
        steps=[(SUBMIT, "")],  # waits for the office's formal check after the window closed
    ),
    # --- 太原市高端装备制造 (city, open) ---
    ApplicationSpec(
        call="equip",
        organisation="tycvc",
        title="太原市智能制造与工业机器人公共实训基地",
        construction_mode=M.SCHOOL_LED,
        functions=[F.TRAINING, F.COMPETITION, F.EVALUATION],
        plan=(
            "建设数控加工、工业机器人应用、智能产线运维实训工位220个，承办太原市职业技能大赛"
            "智能制造赛项，建设职业技能等级认定考核站点。"
        ),
        project_lead="贾慧敏",
        contact_phone="0351-5550177",
        funding={FS.GOVERNMENT_INVESTMENT: Decimal("900.00"), FS.SELF_RAISED: Decimal("300.00")},
        partners=["tzgf"],
        steps=[(SUBMIT, "")],
    ),
    ApplicationSpec(
        call="equip",
        organisation="tzgf",
        title="太重高端装备“校中厂”实训基地",
        construction_mode=M.ENTERPRISE_LED,
        functions=[F.TRAINING, F.COMPETITION, F.EVALUATION],
        plan="以“校中厂”方式建设矿山智能装备装配与运维实训线，年培训技术工人1500人次。",
        project_lead="郝振华",
        contact_phone="0351-5550199",
        funding={FS.SELF_RAISED: Decimal("1600.00")},
        steps=[
            (SUBMIT, ""),
            (
                WITHDRAW,
                "经研究，我公司改为作为合作单位参与太原理工大学牵头的省级新能源汽车平台建设，"
                "撤回本申报。",
            ),
        ],
    ),
    ApplicationSpec(
        call="equip",
        organisation="zgq",
        title="示范区高端装备产教融合实训基地（扩建）",
        construction_mode=M.PARK_LED,
        functions=[F.TRAINING, F.COMPETITION, F.EVALUATION],
        plan="在已建成的示范区装备制造实训基地基础上扩建实训工位80个。",
        project_lead="白云飞",
        contact_phone="0351-5550166",
        funding={FS.GOVERNMENT_INVESTMENT: Decimal("700.00")},
        steps=[
            (SUBMIT, ""),
            (
                REJECT,
                "经核查，该基地已于2023年获评市级产教融合实训基地并授牌，本次为同一基地重复申报，"
                "不予受理。",
            ),
        ],
    ),
]


# --- loading ----------------------------------------------------------------------------------


def pdf_document(title: str, pages: int = 1) -> bytes:
    """A small valid PDF (blank A4 pages) whose metadata carries the document's title."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title, "/Producer": "jiebang load_demo"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


ATTACHMENT_FILES = {
    K.APPLICATION_FORM: ("申报书（盖章版）.pdf", 3),
    K.LEGAL_ENTITY_CERTIFICATE: ("法人登记证书.pdf", 1),
    K.PARTNER_AGREEMENT: ("校企合作共建协议.pdf", 2),
    K.FUNDING_PROOF: ("建设资金来源证明.pdf", 1),
    K.OTHER: ("其他证明材料.pdf", 1),
}


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    unit: str


@dataclass
class Result:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def count(self, what: str, created: bool) -> None:
        if created:
            self.created[what] = self.created.get(what, 0) + 1


class DemoLoader:
    """Loads the demo data set; `run()` is the whole job, in one transaction."""

    def __init__(
        self,
        *,
        log: Callable[[str], None] = lambda message: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.log = log
        self.sleep = sleep
        self.result = Result()
        self.offices: dict[str, Office] = {}
        self.departments: dict[str, Department] = {}
        self.organisations: dict[str, Organisation] = {}
        self.users: dict[str, Any] = {}
        self.calls: dict[str, Call] = {}
        self._password_hash: str | None = None

    # units and people

    def load_units(self) -> None:
        for spec in OFFICES:
            office, created = Office.objects.get_or_create(
                name=spec.name,
                defaults={
                    "level": spec.level,
                    "region": spec.region,
                    "parent": self.offices[spec.parent] if spec.parent else None,
                },
            )
            self.offices[spec.key] = office
            self.result.count("offices", created)
        province = self.offices["province"]
        for name, short_name in DEPARTMENTS:
            department, created = Department.objects.get_or_create(
                office=province, name=name, defaults={"short_name": short_name}
            )
            self.departments[short_name] = department
            self.result.count("departments", created)
        for spec in ORGANISATIONS:
            organisation, created = Organisation.objects.get_or_create(
                name=spec.name,
                defaults={
                    "applicant_type": spec.applicant_type,
                    "region": spec.region,
                    "legal_representative": spec.legal_representative,
                    "credit_code": spec.credit_code,
                },
            )
            self.organisations[spec.key] = organisation
            self.result.count("organisations", created)

    def _password(self) -> str:
        # Hashed once: the default hasher takes a noticeable time per call.
        if self._password_hash is None:
            self._password_hash = make_password(DEMO_PASSWORD)
        return self._password_hash

    def _user(self, username: str, full_name: str, **extra: Any) -> Any:
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(
                username=username,
                first_name=full_name,
                email=f"{username}@example.org",
                password=self._password(),
                **extra,
            )
            user.save()
            self.result.count("users", True)
        return user

    def load_users(self) -> None:
        admin = self._user(ADMIN_USERNAME, "系统管理员", is_staff=True, is_superuser=True)
        self.users[ADMIN_USERNAME] = admin
        self.result.logins.append(Login(ADMIN_USERNAME, "超级管理员 Superuser (/admin/)", "—"))
        for spec in USERS:
            office_admin = spec.role in (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR)
            user = self._user(spec.username, spec.full_name, is_staff=office_admin)
            if office_admin:
                user.groups.add(office_admin_group())
            self.users[spec.username] = user
            kind, key = spec.unit
            unit = {
                "office": self.offices,
                "department": self.departments,
                "organisation": self.organisations,
            }[kind][key]
            _, created = Membership.objects.get_or_create(user=user, role=spec.role, **{kind: unit})
            self.result.count("memberships", created)
            self.result.logins.append(Login(spec.username, ROLE_LABELS[spec.role], unit.name))

    def _member(self, role: str, **unit: Any) -> Any:
        """The demo user holding `role` in a unit: who acts in the services."""
        membership = (
            Membership.objects.filter(role=role, user__username__in=self.users, **unit)
            .select_related("user")
            .order_by("id")
            .first()
        )
        if membership is None:
            raise LookupError(f"no demo user holds {role} in {unit}")
        return membership.user

    # calls

    def load_calls(self) -> None:
        local_now = timezone.localtime()

        def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
            day = local_now + dt.timedelta(days=days)
            return day.replace(hour=hour, minute=minute, second=0, microsecond=0)

        for spec in CALLS:
            office = self.offices[spec.office]
            call = Call.objects.filter(office=office, title=spec.title).first()
            if call is None:
                if spec.closing:
                    opens_at = at(-30, 9)
                    closes_at = timezone.now() + dt.timedelta(seconds=CLOSING_WINDOW_SECONDS)
                else:
                    opens_at, closes_at = at(-3, 9), at(30, 17, 30)
                staff = self._member(Role.OFFICE_STAFF, office=office)
                with transaction.atomic():
                    call = call_services.call_create(
                        office=office,
                        by=staff,
                        terms={
                            "title": spec.title,
                            "sector": spec.sector,
                            "level": spec.level,
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
                    call = call_services.call_publish(call=call, by=staff)
                self.result.count("calls", True)
            self.calls[spec.key] = call
            self.result.calls.append(call)

    # applications

    def _is_open(self, call: Call) -> bool:
        call.refresh_from_db()
        return call.state == CallState.PUBLISHED and timezone.now() < call.closes_at

    def _office_step(self, application: Application, step: str, reason: str) -> None:
        staff = self._member(Role.OFFICE_STAFF, office=application.call.office)
        service = {
            ACCEPT: app_services.application_accept,
            RETURN: app_services.application_return,
            REJECT: app_services.application_reject,
        }[step]
        service(application=application, by=staff, reason=reason)

    def load_application(self, spec: ApplicationSpec) -> list[tuple[Application, str, str]]:
        """Create, complete and submit one application as its applicant; return the office
        steps still to do. Nothing happens when the organisation already applied to the call."""
        call = self.calls[spec.call]
        organisation = self.organisations[spec.organisation]
        if Application.objects.filter(call=call, organisation=organisation).exists():
            return []
        label = f"{organisation.name} → {call.title}"
        if not self._is_open(call):
            self.result.skipped.append(label)
            return []
        applicant = self._member(Role.APPLICANT, organisation=organisation)
        with transaction.atomic():
            application = app_services.application_create(
                call=call,
                organisation=organisation,
                by=applicant,
                content={
                    "title": spec.title,
                    "construction_mode": spec.construction_mode,
                    "functions": list(spec.functions),
                    "plan": spec.plan,
                    "project_lead": spec.project_lead,
                    "contact_phone": spec.contact_phone,
                },
                partner_ids=[self.organisations[key].pk for key in spec.partners],
                funding=dict(spec.funding),
            )
            kinds = call.required_attachments if spec.attachments is None else spec.attachments
            for kind in kinds:
                name, pages = ATTACHMENT_FILES[kind]
                content = pdf_document(f"{organisation.name} {spec.title} {name}", pages)
                upload = SimpleUploadedFile(name, content, content_type="application/pdf")
                app_services.attachment_add(
                    application=application, kind=kind, upload=upload, by=applicant
                )
            office_steps = []
            for step, reason in spec.steps:
                if step == SUBMIT:
                    app_services.application_submit(application=application, by=applicant)
                elif step == WITHDRAW:
                    app_services.application_withdraw(
                        application=application, by=applicant, reason=reason
                    )
                else:
                    office_steps.append((step, reason))
        self.result.count("applications", True)
        return [(application, step, reason) for step, reason in office_steps]

    def load_applications(self) -> None:
        closing = {spec.key for spec in CALLS if spec.closing}
        # Applicant work on a closing call first, while its short window is still open.
        ordered = sorted(APPLICATIONS, key=lambda spec: spec.call not in closing)
        deferred = []
        for spec in ordered:
            for application, step, reason in self.load_application(spec):
                if spec.call in closing:
                    deferred.append((application, step, reason))
                else:
                    self._office_step(application, step, reason)
        if deferred:
            # The office checks the closing call's applications once its window is over.
            last_close = max(application.call.closes_at for application, _, _ in deferred)
            wait = (last_close - timezone.now()).total_seconds()
            if wait > 0:
                self.log(f"Waiting {wait:.1f} s for the window of the closing call to end ...")
                self.sleep(wait + 0.05)
            for application, step, reason in deferred:
                application.refresh_from_db()
                self._office_step(application, step, reason)

    def run(self) -> Result:
        with transaction.atomic():
            self.load_units()
            self.load_users()
            self.load_calls()
            self.load_applications()
            from workflow.demo_review import load_review

            drawn = load_review(self)
            self.result.logins.append(
                Login("expert_wang", "评审专家 Expert (专家库)", "太原理工大学")
            )
            for username, name, state in drawn:
                self.result.logins.append(
                    Login(username, f"评审专家 Expert ({name}，{state})", "现代农业评审组")
                )
            # After approval: public notice, landing, award, performance, tolerance.
            from workflow.demo_lifecycle import load_lifecycle, project_lines

            self.result.logins += load_lifecycle(self)
            for line in ["", "揭榜项目 Projects after approval", *project_lines()]:
                self.log(line)
            for call in self.result.calls:
                call.refresh_from_db()
        return self.result


# --- output -----------------------------------------------------------------------------------


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [
        max(display_width(cell) for cell in column) for column in zip(headers, *rows, strict=True)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(pad(cell, w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [line(headers), rule, *(line(row) for row in rows)]


def login_table(logins: list[Login]) -> list[str]:
    headers = ["用户名 Username", "角色 Role", "单位 Unit", "密码 Password"]
    rows = [[login.username, login.role, login.unit, DEMO_PASSWORD] for login in logins]
    return table(headers, rows)


def call_table(calls: list[Call]) -> list[str]:
    headers = ["榜单 Call", "状态 State", "申报截止 Closes", "申报数 Applications"]
    rows = []
    for call in calls:
        closes = timezone.localtime(call.closes_at).strftime("%Y-%m-%d %H:%M:%S")
        states = Counter(call.applications.values_list("state", flat=True))
        summary = ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
        state = call.state
        if state == CallState.PUBLISHED and timezone.now() >= call.closes_at:
            state += " (window over, not yet closed)"
        rows.append([call.title, state, closes, summary or "-"])
    return table(headers, rows)
