"""The authorization matrix (issue 7): every URL of the URL configuration, who may use it.

One Row per URL name (namespaces None, "portal", "notifications", "api"). A row says
(a) how to fill the URL's kwargs from the world (tests/security/world.py): a string names a world
    object (its pk is used), a callable gets the world and returns the value;
(b) the methods the view answers that the matrix tries (GET, POST or both; a POST-only route is
    also tried with GET by anonymous and the subjects it is for, and must never answer 200);
(c) the subjects that MAY use it: a GET answers 200 or a redirect that is not to the login page,
    a POST is not refused as a permission (not 302-to-login, 401, 403 or 404);
(d) optionally `gate`: subjects the view's own gate lets through to a service that refuses them
    (the director on a decision for staff only): no status is asserted for their POST, but it
    must change nothing.
Every other subject must be REFUSED: 302 to the login page (anonymous, portal), 401 (anonymous,
API), 403 or 404 (a 404 is accepted from anonymous too: it tells nothing), and a refused POST
must change nothing (audit chain and a fingerprint of every table of the project's apps).
POSTs carry no data unless the row gives `post` (sent by every subject): valid input is each
feature's own test; here only the permission is.

Two more checks on every answer: the titles of organisation A's non-public applications
(world.SECRET) never reach world.OUTSIDERS, and the assigned expert's name never reaches the
public or applicants (DESIGN §3), except on pages listing the whole pool (POOL_PAGES).

Beyond the rows, one rule for all: a supervisor may "read audit trails, tolerance cases, evidence
bundles" and may not "change anything" (/work/shared/DESIGN.md §3), so a POST by the supervisor
must change nothing anywhere, whatever the row says (SUPERVISOR_WRITES lists the exceptions).

The Django admin ("admin" namespace) has no rows: one rule covers all of it (ADMIN_RULE): only
active ``is_staff`` users get in (the office_admin group, workflow.roles, decides what they may
do there); none of the eleven subjects is staff, so every admin URL sends each of them to the
admin login page (tested on the index and a model page; the positive half with an office admin).

Judgement calls follow workflow/access.py and the view decorators, and say so in a comment:
- "office" pages use portal.views.common.office_required: staff AND the director of the office
  (the director reads everything of its office; the services refuse directors what only staff
  may decide). Pages gated by staff_required / pool_staff_required are staff only.
- The expert pool (专家库) is shared by all offices (pool_staff_required: "Office staff of any
  office, who maintain the pool"), so staff of office B may read and edit an expert of the pool.
- List pages (calls of my office, my tasks, my jobs, ...) answer 200 to every subject of the
  role: they list that subject's own things; which rows are shown is each list's own test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.security.world import SUBJECTS

ALL = frozenset(SUBJECTS)
LOGGED_IN = ALL - {"anonymous"}
OWNER = frozenset({"applicant"})  # the applicant of organisation A, which owns every item
APPLICANTS = frozenset({"applicant", "other_applicant"})
EXPERTS = frozenset({"assigned_expert", "unassigned_expert"})
ASSIGNED = frozenset({"assigned_expert"})
STAFF = frozenset({"staff"})  # office staff of office A
ANY_STAFF = frozenset({"staff", "other_staff"})
OFFICE = frozenset({"staff", "director"})  # office_required, object of office A
ANY_OFFICE = frozenset({"staff", "other_staff", "director"})  # office_required, a list
APPROVER = frozenset({"approver"})
APPROVERS = frozenset({"approver", "other_approver"})
DIRECTOR = frozenset({"director"})
SUPERVISOR = frozenset({"supervisor"})
# Who may read A's application under review (workflow.access.applications_visible_to).
READERS = OWNER | OFFICE | ASSIGNED | SUPERVISOR

REASON = {"reason": "申报材料不全，请补充后重新提交。"}

G = ("GET",)
P = ("POST",)
GP = ("GET", "POST")

Kwarg = str | Callable[[Any], Any]


def lit(value: Any) -> Callable[[Any], Any]:
    """A literal URL kwarg (not a world object)."""
    return lambda world: value


@dataclass(frozen=True)
class Row:
    name: str
    methods: tuple[str, ...]
    allowed: frozenset[str]
    kwargs: dict[str, Kwarg] = field(default_factory=dict)
    post: Callable[[Any], dict] | None = None  # POST data, sent by every subject
    note: str = ""
    path: str = ""  # for a route that cannot be reversed (a catch-all pattern)
    # Subjects the view's gate lets through to a service that refuses them (e.g. the director
    # on a decision for staff only): no status is asserted, but their POST must change nothing.
    gate: frozenset[str] = frozenset()

    def url_kwargs(self, world: Any) -> dict[str, Any]:
        return {
            key: (world.objects[value].pk if isinstance(value, str) else value(world))
            for key, value in self.kwargs.items()
        }


def _rows(*rows: Row) -> dict[str, Row]:
    table: dict[str, Row] = {}
    for row in rows:
        assert row.name not in table, f"two rows for {row.name}"
        assert row.allowed <= ALL, f"{row.name}: unknown subjects {row.allowed - ALL}"
        assert row.gate <= ALL - row.allowed, f"{row.name}: gate overlaps allowed"
        table[row.name] = row
    return table


def r(name: str, methods: tuple[str, ...], allowed: frozenset[str], note: str = "", **kw) -> Row:
    post = kw.pop("post", None)
    path = kw.pop("path", "")
    gate = frozenset(kw.pop("gate", ()))
    return Row(name, methods, frozenset(allowed), kw, post, note, path, gate)


ADMIN_RULE = (
    "Every URL of the 'admin' namespace: only active is_staff users (office_admin group) get "
    "in; every subject of the matrix is sent to the admin login page."
)

# A supervisor POST that may change something: none. (Verifying the audit chain only caches
# its result: it changes no table, so the fingerprint rule holds for it too.)
SUPERVISOR_WRITES: frozenset[str] = frozenset()

ROWS: dict[str, Row] = _rows(
    # --- root URLconf --------------------------------------------------------------------
    r("set_language", GP, ALL, "the language switch: a redirect back for everyone"),
    r("login", GP, ALL, "the login form; a logged-in user may log in again as someone else"),
    r("logout", P, ALL, "POST only; anonymous is simply redirected"),
    # With the second factor required (production), it is where staff, directors and approvers
    # give it; a user who needs none (or has given it) is redirected on. Anonymous: login.
    r("two_factor", GP, LOGGED_IN),
    # --- API (portal/api): permission classes decide the role, querysets the objects -----
    r("api:schema", G, ALL, "the OpenAPI schema is public documentation"),
    r("api:docs", G, ALL),
    r("api:redoc", G, ALL),
    r("api:token", P, ALL, "anyone may ask for a token with credentials (400 without)"),
    r("api:call_list", G, ALL),
    r("api:call_detail", G, ALL, pk="call_open"),
    r("api:notice_list", G, ALL),
    r("api:award_list", G, ALL),
    r("api:application_list", GP, APPLICANTS, "own organisation's list; POST creates"),
    r("api:application_detail", G, OWNER, pk="submitted"),
    r("api:application_submit", P, OWNER, pk="draft"),
    r("api:application_withdraw", P, OWNER, pk="submitted"),
    r("api:attachment_list", GP, OWNER, pk="draft"),
    r("api:attachment_detail", G, OWNER, pk="draft", attachment_pk="attachment"),
    r("api:assignment_list", G, EXPERTS, "the expert's own sheets (none when unassigned)"),
    r("api:assignment_detail", G, ASSIGNED, pk="sheet_open"),
    r("api:score_sheet", G, ASSIGNED, pk="sheet_open"),
    r("api:score_sheet_submit", P, ASSIGNED, pk="sheet_open"),
    r("api:office_call_list", G, ANY_OFFICE, "IsOfficeMember: the member's own offices"),
    r("api:call_publish", P, STAFF, pk="call_open"),
    r("api:call_close", P, STAFF, pk="call_open"),
    r("api:call_start_review", P, STAFF, pk="call_open"),
    r("api:office_application_list", G, ANY_OFFICE),
    # IsOfficeMember lets the director through; the service refuses directors (403).
    r("api:application_accept", P, STAFF, pk="submitted"),
    r("api:application_return", P, STAFF, pk="submitted", post=lambda w: REASON),
    r("api:application_reject", P, STAFF, pk="submitted", post=lambda w: REASON),
    r("api:my_tasks", G, LOGGED_IN, "the user's own task inbox"),
    r("api:not_found", GP, frozenset(), "the JSON 404 of any other path", path="/api/v1/x/"),
    # --- notifications ---------------------------------------------------------------------
    r("notifications:list", G, LOGGED_IN, "own notifications"),
    r("notifications:open", G, OWNER, "the recipient only", pk="notification"),
    r("notifications:read", P, OWNER, "the recipient only", pk="notification"),
    r("notifications:read_all", P, LOGGED_IN, "marks the user's own as read"),
    r("notifications:preferences", P, LOGGED_IN, "the user's own preferences"),
    # --- public portal ---------------------------------------------------------------------
    r("portal:home", G, ALL),
    r("portal:call_list", G, ALL),
    r("portal:call_detail", G, ALL, pk="call_open"),
    r("portal:publicity_list", G, ALL),
    r("portal:objection_create", GP, ALL, "anyone may object during the notice", pk="proposed"),
    r("portal:award_list", G, ALL),
    r("portal:performance_results", G, ALL, "published results are public"),
    # --- applicant -------------------------------------------------------------------------
    r("portal:application_create", GP, APPLICANTS, "any applicant may apply", call_pk="call_open"),
    r("portal:application_list", G, APPLICANTS),
    r("portal:application_detail", G, OWNER, pk="draft"),
    r("portal:application_edit", GP, OWNER, pk="draft"),
    r("portal:application_step", GP, OWNER, pk="draft", step=lit("plan")),
    r("portal:application_autosave", P, OWNER, pk="draft", step=lit("plan")),
    r("portal:application_confirm", GP, OWNER, pk="draft"),
    r("portal:application_submit", P, OWNER, pk="draft"),
    r("portal:application_withdraw", P, OWNER, pk="submitted"),
    r("portal:attachment_add", P, OWNER, pk="draft"),
    r("portal:attachment_remove", P, OWNER, pk="draft", attachment_pk="attachment"),
    # The files of A's application under review: workflow.access.applications_visible_to, i.e.
    # its organisation, the call's office, the expert who accepted to review it and supervisors
    # (read-only). (A draft's files are the organisation's only: tests/portal/test_permissions.)
    r("portal:attachment_download", G, READERS, pk="reviewed", attachment_pk="reviewed_attachment"),
    r("portal:attachment_preview", G, READERS, pk="reviewed", attachment_pk="reviewed_attachment"),
    r("portal:attachment_inline", G, READERS, pk="reviewed", attachment_pk="reviewed_attachment"),
    r("portal:avoidance_requests", GP, OWNER, pk="submitted"),
    # --- office: calls and formal checks (office_required lets the director in; decisions are
    # for staff: the director is in `gate` there, and must change nothing)
    r("portal:office_call_list", G, ANY_OFFICE),
    r("portal:office_call_new", GP, ANY_STAFF, "staff_required: staff of any office"),
    r("portal:office_call_detail", G, OFFICE, pk="call_open"),
    r("portal:office_call_edit", GP, STAFF, pk="call_open"),
    r("portal:office_call_action", P, STAFF, gate=DIRECTOR, pk="call_open", action=lit("close")),
    r("portal:office_rubric", G, OFFICE, pk="call_review"),
    r("portal:office_rubric_edit", GP, STAFF, pk="call_open"),
    r("portal:office_queue", G, ANY_OFFICE),
    r("portal:office_application_detail", G, OFFICE, pk="submitted"),
    r("portal:office_formal_check", P, STAFF, gate=DIRECTOR, pk="submitted"),
    r("portal:office_dashboard", G, ANY_OFFICE),
    # --- expert pool (shared by all offices) and avoidance -----------------------------------
    r("portal:expert_pool", G, ANY_OFFICE, "directors may read the pool"),
    r("portal:expert_pool_detail", G, ANY_OFFICE, pk="expert"),
    r("portal:expert_pool_new", GP, ANY_STAFF),
    r("portal:expert_pool_import", GP, ANY_STAFF),
    r("portal:expert_pool_export", GP, ANY_STAFF),
    r("portal:expert_pool_edit", GP, ANY_STAFF, pk="expert"),
    r("portal:expert_pool_deactivate", P, ANY_STAFF, pk="expert"),
    r("portal:expert_pool_activate", P, ANY_STAFF, pk="expert"),
    r("portal:office_avoidance_list", G, ANY_OFFICE),
    r("portal:office_avoidance_accept", P, STAFF, gate=DIRECTOR, pk="avoidance"),
    r("portal:office_avoidance_refuse", P, STAFF, gate=DIRECTOR, pk="avoidance"),
    # --- draws and invitations ---------------------------------------------------------------
    r("portal:draw_page", G, OFFICE, call_pk="call_review"),
    r("portal:draw_configure", P, STAFF, gate=DIRECTOR, call_pk="call_review"),
    r("portal:draw_perform", P, STAFF, gate=DIRECTOR, call_pk="call_review", draw_pk="draw"),
    r("portal:draw_redraw", P, STAFF, gate=DIRECTOR, call_pk="call_review", draw_pk="draw"),
    r("portal:draw_close", P, STAFF, gate=DIRECTOR, call_pk="call_review", draw_pk="draw"),
    r(
        "portal:draw_invitation_conflict",
        P,
        STAFF,
        gate=DIRECTOR,
        call_pk="call_review",
        pk="invitation",
    ),
    r("portal:invitation_list", G, EXPERTS, "the expert's own invitations"),
    r("portal:invitation_accept", P, ASSIGNED, pk="invitation"),
    r("portal:invitation_decline", P, ASSIGNED, pk="invitation"),
    r("portal:invitation_conflict", P, ASSIGNED, pk="invitation"),
    # --- scoring, ranking, review monitoring -------------------------------------------------
    r("portal:expert_assignment_list", G, EXPERTS),
    r("portal:expert_sheet", GP, ASSIGNED, pk="sheet_open"),
    r("portal:expert_sheet_explain", P, ASSIGNED, pk="sheet_open"),
    r("portal:scoresheet_pdf", G, ASSIGNED | OFFICE, "its expert and the office", pk="sheet_done"),
    r("portal:office_sheet", G, OFFICE, pk="sheet_done"),
    r("portal:office_sheet_reopen", P, STAFF, gate=DIRECTOR, pk="sheet_done"),
    r("portal:office_ranking", G, OFFICE, call_pk="call_review"),
    r("portal:office_ranking_confirm", P, STAFF, gate=DIRECTOR, call_pk="call_review"),
    r("portal:office_ranking_export_public", G, OFFICE, call_pk="call_review"),
    r("portal:office_ranking_export_sheets", G, OFFICE, call_pk="call_review"),
    r("portal:office_register_export", G, OFFICE, call_pk="call_review"),
    r("portal:office_ranking_settings", GP, OFFICE, call_pk="call_review"),
    r("portal:office_review_dashboard", G, OFFICE, call_pk="call_review"),
    r("portal:office_values", G, OFFICE, call_pk="call_review"),
    r(
        "portal:office_values_verify",
        GP,
        OFFICE,
        call_pk="call_review",
        application_pk="reviewed",
    ),
    r("portal:office_application_sheets_pdf", G, OFFICE, pk="reviewed"),
    r("portal:office_call_sheets_pdf", G, OFFICE, call_pk="call_review"),
    r(
        "portal:office_ranking_export_start",
        P,
        OFFICE,
        call_pk="call_review",
        variant=lit("public"),
    ),
    r("portal:office_register_export_start", P, OFFICE, call_pk="call_review"),
    # --- publicity, countersign, decision ----------------------------------------------------
    r("portal:office_objection_list", G, ANY_OFFICE),
    r("portal:office_objection_answer", P, STAFF, gate=DIRECTOR, pk="objection"),
    r("portal:countersign_inbox", G, APPROVERS, "the approver's own department's items"),
    r("portal:countersign_sign", GP, APPROVER, pk="countersign"),
    r("portal:office_countersign", G, OFFICE, call_pk="call_notice"),
    r("portal:office_countersign_open", P, STAFF, gate=DIRECTOR, call_pk="call_notice"),
    r("portal:office_countersign_mode", P, STAFF, gate=DIRECTOR, call_pk="call_notice"),
    r("portal:director_decision", G, DIRECTOR, call_pk="call_notice"),
    r(
        "portal:director_decide_application",
        P,
        DIRECTOR,
        call_pk="call_notice",
        pk="winner",
    ),
    r("portal:director_decide_call", P, DIRECTOR, call_pk="call_notice"),
    # The supervisor reads the opinion record (opinions.py: supervisors read every call's).
    r("portal:opinion_record_pdf", G, OFFICE | SUPERVISOR, call_pk="call_notice"),
    # --- tasks (待办) ---------------------------------------------------------------------
    r("portal:task_list", G, LOGGED_IN, "the user's own tasks"),
    r("portal:copied_list", G, LOGGED_IN, "items copied to the user"),
    r("portal:delegation_list", G, LOGGED_IN, "the user's own delegations"),
    # moves.may_read: the responsible office, department A (its approver is asked), supervisors
    # (read-only: the move forms refuse them, and the supervisor rule checks nothing changes).
    r("portal:task_detail", G, OFFICE | APPROVER | SUPERVISOR, pk="task"),
    r("portal:task_move", P, OFFICE | APPROVER, pk="task", move=lit("urge"), gate=SUPERVISOR),
    r("portal:sign_detail", G, APPROVER, "the added signer's department", pk="signer"),
    r("portal:delegation_revoke", P, STAFF, "the delegator only", pk="delegation"),
    # --- landing (揭榜落地) -----------------------------------------------------------------
    # landing.py: the organisation and the office (staff and director) read; staff draft and
    # send; the organisation confirms, returns, reports. Supervisors are not given agreements.
    r("portal:office_landing", G, ANY_STAFF),
    r("portal:agreement_edit", GP, STAFF, pk="approved"),
    r("portal:agreement_send", P, STAFF, pk="approved"),
    r("portal:agreement_detail", G, OWNER | OFFICE, pk="approved"),
    r("portal:agreement_pdf", G, OWNER | OFFICE, pk="approved"),
    r("portal:agreement_confirm", P, OWNER, pk="approved"),
    r("portal:agreement_return", P, OWNER, pk="approved"),
    r("portal:report_list", G, OWNER | OFFICE, pk="approved"),
    r("portal:report_submit", G, OWNER | OFFICE, "GET: read by both", pk="report"),
    r("portal:milestone_done", P, OWNER, pk="milestone"),
    # --- acceptance and award ----------------------------------------------------------------
    r("portal:acceptance_declare", GP, OWNER, pk="constructing"),
    r("portal:office_acceptance_list", G, ANY_OFFICE),
    r("portal:office_acceptance", G, OFFICE, pk="constructing"),
    r("portal:acceptance_draw", P, STAFF, gate=DIRECTOR, pk="acceptance"),
    r("portal:acceptance_scores", P, STAFF, gate=DIRECTOR, pk="acceptance"),
    r("portal:award_grant", P, STAFF, gate=DIRECTOR, pk="constructing"),
    r("portal:application_terminate", P, STAFF, gate=DIRECTOR, pk="constructing"),
    r(
        "portal:award_certificates_start",
        P,
        OFFICE,
        "certificates of the user's own office (posted)",
        post=lambda w: {"office": w.office.pk},
    ),
    r("portal:award_certificate", G, OWNER | OFFICE | SUPERVISOR, pk="award"),
    # --- performance (绩效评价) -------------------------------------------------------------
    r("portal:performance_detail", G, OWNER | OFFICE | SUPERVISOR, pk="review"),
    r("portal:performance_submit", P, OWNER, pk="review", gate=OFFICE | SUPERVISOR),
    r("portal:office_performance_list", G, ANY_OFFICE),
    r("portal:performance_open", P, ANY_STAFF, "opens a year for the staff's own office"),
    r("portal:performance_evaluate", P, STAFF, gate=DIRECTOR, pk="review"),
    r("portal:performance_publish", P, STAFF, pk="review"),
    r("portal:performance_verify", P, STAFF, gate=DIRECTOR, pk="review"),
    r("portal:plaque_revoke", P, STAFF, gate=DIRECTOR, award_pk="award"),
    # --- tolerance (容错纠错): supervisors read cases (DESIGN §3) ----------------------------
    r("portal:tolerance_list", G, APPLICANTS | ANY_OFFICE | SUPERVISOR, "own cases"),
    r("portal:tolerance_request", GP, OWNER, application_pk="constructing"),
    r("portal:tolerance_detail", G, OWNER | OFFICE | SUPERVISOR, pk="case"),
    # The case page's readers reach its forms; the services decide: office staff decide and
    # verify (workflow.access.require_office), the organisation reports its correction.
    r("portal:tolerance_decide", P, STAFF, pk="case", gate=OWNER | DIRECTOR | SUPERVISOR),
    r("portal:tolerance_correction", P, OWNER, pk="case", gate=OFFICE | SUPERVISOR),
    r("portal:tolerance_verify", P, STAFF, pk="case", gate=OWNER | DIRECTOR | SUPERVISOR),
    # --- per-user things -------------------------------------------------------------------
    r("portal:phrase_list", GP, LOGGED_IN, "the user's own phrases"),
    r("portal:phrase_move", P, STAFF, "the phrase's owner only", pk="phrase"),
    r("portal:phrase_delete", P, STAFF, "the phrase's owner only", pk="phrase"),
    r("portal:job_list", G, LOGGED_IN, "the user's own jobs"),
    r("portal:job_detail", G, STAFF, "the job's owner only", pk="job"),
    r("portal:job_download", G, STAFF, "the job's owner only", pk="job"),
    # --- audit (supervisor only) -------------------------------------------------------------
    r("portal:audit_list", G, SUPERVISOR),
    r("portal:audit_verify", P, SUPERVISOR),
    r("portal:audit_detail", G, SUPERVISOR, sequence=lambda w: w.audit_event.sequence),
    r(
        "portal:audit_evidence_bundle",
        G,
        SUPERVISOR,
        kind=lit("application"),
        pk="constructing",
    ),
)
