"""The expert pool (专家库) and avoidance requests (回避申请).

Who maintains the pool: office staff (Role.OFFICE_STAFF) of any office. The pool is one
provincial resource that municipal and county offices draw from as well, so the right is not
scoped to one office; every change is audited with its author and capacity, and an office's
directors, approvers and supervisors only read it. Pool members are matched by phone number
when one is given, otherwise by name and employer, so an import updates instead of duplicating.

Avoidance requests follow 国家自然科学基金条例 第十九条: an applicant may name at most 3 experts it
finds unsuitable, each with a reason; a request binds once the staff of the call's office accept
it, and the recusal rules then read `selectors.accepted_avoidance_expert_ids`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow import access, audit
from workflow.choices import Role
from workflow.errors import Conflict, DomainError, Invalid, NotPermitted
from workflow.experts_excel import (
    COLUMN_OF_KIND,
    BadWorkbook,
    ExpertEntry,
    RelationEntry,
    entry_problems,
    parse_workbook,
    phone_digits,
    write_workbook,
)
from workflow.models import (
    Expert,
    ExpertRelation,
    Membership,
    Organisation,
)
from workflow.services.base import clean_reason, lock

IMPORT_MAX_BYTES = 5 * 1024 * 1024


def require_pool_manager(user: Any) -> Role:
    """Office staff of any office maintain the provincial pool (see the module docstring)."""
    if access.office_ids(user, (Role.OFFICE_STAFF,)):
        return Role.OFFICE_STAFF
    raise NotPermitted(_("Only office staff may maintain the expert pool."))


# Resolving an entry against the database --------------------------------------------------


class OrganisationIndex:
    """Organisations by exact name and by unified social credit code, read once."""

    def __init__(self, organisations: Iterable[Organisation]) -> None:
        self.by_name: dict[str, Organisation] = {}
        self.by_code: dict[str, Organisation] = {}
        for organisation in organisations:
            self.by_name[organisation.name] = organisation
            if organisation.credit_code:
                self.by_code[organisation.credit_code.upper()] = organisation

    @classmethod
    def load(cls) -> OrganisationIndex:
        return cls(Organisation.objects.only("id", "name", "credit_code"))

    def find(self, reference: str) -> Organisation | None:
        reference = reference.strip()
        return self.by_name.get(reference) or self.by_code.get(reference.upper())


@dataclass
class Resolved:
    """An entry with its organisations found: what is saved."""

    fields: dict[str, Any]
    relations: list[tuple[str, Organisation, str, str, Any]]

    @property
    def employer_key(self) -> str:
        return self.fields["employer_name"]


def resolve(entry: ExpertEntry, organisations: OrganisationIndex) -> tuple[Resolved, list[str]]:
    """(resolved entry, problems): every organisation a relation names must be registered."""
    problems = []
    employer = organisations.find(entry.employer) if entry.employer else None
    relations = []
    for relation in entry.relations:
        found = organisations.find(relation.organisation) if relation.organisation else None
        if relation.organisation and found is None:
            problems.append(
                _(
                    "%(column)s: “%(organisation)s” is not a registered organisation; write its "
                    "registered name or unified social credit code."
                )
                % {"column": COLUMN_OF_KIND[relation.kind], "organisation": relation.organisation}
            )
            continue
        if found is not None:
            relations.append(
                (
                    relation.kind,
                    found,
                    relation.person_name,
                    relation.relationship,
                    relation.ended_on,
                )
            )
    fields = {
        "name": entry.name,
        "phone": entry.phone,
        "employer": employer,
        "employer_name": employer.name if employer else entry.employer,
        "title": entry.title,
        "years_of_work": entry.years_of_work,
        "sectors": list(entry.sectors),
        "region": entry.region,
        "active": entry.active,
    }
    # The same organisation may be written by name in one place and by code in another.
    unique = {(k, o.pk, p, r, d): (k, o, p, r, d) for k, o, p, r, d in relations}
    return Resolved(fields, list(unique.values())), problems


def employer_warning(entry: ExpertEntry, resolved: Resolved) -> str | None:
    if entry.employer and resolved.fields["employer"] is None:
        return _(
            "The employer “%(employer)s” is not a registered organisation, so recusal for the "
            "same legal entity can compare it only by name."
        ) % {"employer": entry.employer}
    return None


class PoolIndex:
    """The pool by phone digits and by (name, employer), read once, to match entries."""

    def __init__(self, experts: Iterable[Expert]) -> None:
        self.by_phone: dict[str, list[Expert]] = defaultdict(list)
        self.by_person: dict[tuple[str, str], list[Expert]] = defaultdict(list)
        for expert in experts:
            digits = phone_digits(expert.phone)
            if digits:
                self.by_phone[digits].append(expert)
            self.by_person[(expert.name, _employer_key(expert))].append(expert)

    @classmethod
    def load(cls) -> PoolIndex:
        return cls(Expert.objects.select_related("employer"))

    def match(self, resolved: Resolved) -> tuple[Expert | None, str]:
        """(the pool member this entry describes or None, a problem if that is ambiguous)."""
        name, digits = resolved.fields["name"], phone_digits(resolved.fields["phone"])
        if digits:
            same_phone = self.by_phone.get(digits, [])
            if len(same_phone) > 1:
                return None, _("Several experts in the pool have this phone number.")
            if same_phone:
                return same_phone[0], ""
        same_person = self.by_person.get((name, resolved.employer_key), [])
        if digits and any(phone_digits(e.phone) for e in same_person):
            return None, _(
                "An expert with the same name and employer is registered with another phone "
                "number. Check whether this is the same person, and correct the phone number "
                "on the expert's page if so."
            )
        if len(same_person) > 1:
            return None, _(
                "Several experts in the pool have this name and employer; add the phone number "
                "to tell them apart."
            )
        return (same_person[0] if same_person else None), ""


def _employer_key(expert: Expert) -> str:
    return expert.employer.name if expert.employer_id else expert.employer_name


# Saving -----------------------------------------------------------------------------------

EXPERT_FIELDS = (
    "name",
    "phone",
    "employer",
    "employer_name",
    "title",
    "years_of_work",
    "sectors",
    "region",
    "active",
)


def _relation_json(kind: str, organisation: Organisation, person: str, rel: str, ended) -> dict:
    return {
        "kind": kind,
        "organisation": organisation.name,
        "organisation_id": organisation.pk,
        "person_name": person,
        "relationship": rel,
        "ended_on": ended.isoformat() if ended else None,
    }


def _relations_of(expert: Expert) -> list[tuple[str, Organisation, str, str, Any]]:
    return [
        (r.kind, r.organisation, r.person_name, r.relationship, r.ended_on)
        for r in expert.relations.select_related("organisation").order_by("id")
    ]


def _snapshot(fields: dict[str, Any], relations: list) -> dict[str, Any]:
    """Values as the audit trail records them; equal snapshots mean nothing changed."""
    data = {k: fields[k] for k in EXPERT_FIELDS}
    data["employer"] = fields["employer"].pk if fields["employer"] is not None else None
    data["relations"] = sorted(
        (_relation_json(*r) for r in relations),
        key=lambda r: (r["kind"], r["organisation_id"], r["person_name"], r["ended_on"] or ""),
    )
    return data


def _new_user(name: str, phone: str, employer_name: str) -> Any:
    """A login for the expert, with no usable password until the office issues one. The
    username is derived from the phone number (or name and employer), so it is predictable."""
    User = get_user_model()
    digits = phone_digits(phone)
    if digits:
        base = f"expert_{digits}"
    else:
        base = "expert_" + hashlib.sha256(f"{name}|{employer_name}".encode()).hexdigest()[:10]
    username, n = base, 2
    while User.objects.filter(username=username).exists():
        username, n = f"{base}_{n}", n + 1
    user = User(username=username, first_name=name[:150])
    user.set_unusable_password()
    user.save()
    return user


def _sync_membership(expert: Expert) -> None:
    """The expert role is held in the employer organisation, when it is registered."""
    Membership.objects.filter(
        user_id=expert.user_id, role=Role.EXPERT, organisation__isnull=False
    ).exclude(organisation_id=expert.employer_id).delete()
    if expert.employer_id:
        Membership.objects.get_or_create(
            user_id=expert.user_id, role=Role.EXPERT, organisation_id=expert.employer_id
        )


def _set_relations(expert: Expert, relations: list) -> None:
    expert.relations.all().delete()
    ExpertRelation.objects.bulk_create(
        ExpertRelation(
            expert=expert,
            kind=kind,
            organisation=organisation,
            person_name=person,
            relationship=rel,
            ended_on=ended,
        )
        for kind, organisation, person, rel, ended in relations
    )


def _create(resolved: Resolved, *, by: Any, role: str, context: dict) -> Expert:
    fields = resolved.fields
    user = _new_user(fields["name"], fields["phone"], fields["employer_name"])
    expert = Expert.objects.create(user=user, **fields)
    _set_relations(expert, resolved.relations)
    _sync_membership(expert)
    audit.record(
        action="expert.create",
        obj=expert,
        by=by,
        role=role,
        diff={**_snapshot(fields, resolved.relations), "username": user.username, **context},
    )
    return expert


def _update(expert: Expert, resolved: Resolved, *, by: Any, role: str, context: dict) -> bool:
    """Apply the entry to a locked expert; False when it changes nothing (nothing audited)."""
    old_relations = _relations_of(expert)
    old = _snapshot({k: getattr(expert, k) for k in EXPERT_FIELDS}, old_relations)
    new = _snapshot(resolved.fields, resolved.relations)
    diff = {k: {"old": old[k], "new": new[k]} for k in new if old[k] != new[k]}
    if not diff:
        return False
    changed = [k for k in EXPERT_FIELDS if k in diff]
    for name in changed:
        setattr(expert, name, resolved.fields[name])
    if changed:
        expert.save(update_fields=changed)
    if "relations" in diff:
        _set_relations(expert, resolved.relations)
    if "employer" in diff:
        _sync_membership(expert)
    if "name" in diff:
        type(expert.user).objects.filter(pk=expert.user_id).update(first_name=expert.name[:150])
    audit.record(action="expert.update", obj=expert, by=by, role=role, diff={**diff, **context})
    return True


def _checked(entry: ExpertEntry) -> Resolved:
    problems = entry_problems(entry, timezone.localdate())
    resolved, unresolved = resolve(entry, OrganisationIndex.load())
    problems += unresolved
    if problems:
        raise Invalid(_("The expert's details need correcting."), problems)
    return resolved


def _duplicate_problem(pool: PoolIndex, resolved: Resolved) -> str:
    """Why a new expert would duplicate a pool member. Different phone numbers tell namesakes
    of one employer apart; without them the office must check first."""
    digits = phone_digits(resolved.fields["phone"])
    if digits and pool.by_phone.get(digits):
        return _("Another expert in the pool has this phone number.")
    key = (resolved.fields["name"], resolved.employer_key)
    for other in pool.by_person.get(key, []):
        if not digits or not phone_digits(other.phone):
            return _(
                "“%(name)s” of “%(employer)s” is already in the expert pool. If this is another "
                "person of the same name, give both of them their phone numbers."
            ) % {"name": other.name, "employer": resolved.employer_key or "—"}
    return ""


def expert_create(*, entry: ExpertEntry, by: Any) -> Expert:
    """Add one expert to the pool, with a login that has no password yet."""
    role = require_pool_manager(by)
    resolved = _checked(entry)
    with transaction.atomic():
        problem = _duplicate_problem(PoolIndex.load(), resolved)
        if problem:
            raise Conflict(problem)
        return _create(resolved, by=by, role=role, context={})


def expert_update(*, expert: Expert, entry: ExpertEntry, by: Any) -> Expert:
    """Replace an expert's details and declared relations; the audit diff holds old and new."""
    role = require_pool_manager(by)
    resolved = _checked(entry)
    with transaction.atomic():
        expert = lock(expert)
        digits = phone_digits(resolved.fields["phone"])
        if (
            digits
            and digits != phone_digits(expert.phone)
            and PoolIndex.load().by_phone.get(digits)
        ):
            raise Conflict(_("Another expert in the pool has this phone number."))
        _update(expert, resolved, by=by, role=role, context={})
    return expert


def _set_active(expert: Expert, active: bool, *, by: Any, reason: str) -> Expert:
    role = require_pool_manager(by)
    reason = clean_reason(reason, required=False)
    with transaction.atomic():
        expert = lock(expert)
        if expert.active == active:
            raise Conflict(
                _("The expert is already active.")
                if active
                else _("The expert is already inactive.")
            )
        expert.active = active
        expert.save(update_fields=["active"])
        audit.record(
            action="expert.activate" if active else "expert.deactivate",
            obj=expert,
            by=by,
            role=role,
            reason=reason,
            diff={"active": {"old": not active, "new": active}},
        )
    return expert


def expert_deactivate(*, expert: Expert, by: Any, reason: str = "") -> Expert:
    """Take an expert out of future draws; the history and past reviews stay."""
    return _set_active(expert, False, by=by, reason=reason)


def expert_activate(*, expert: Expert, by: Any, reason: str = "") -> Expert:
    return _set_active(expert, True, by=by, reason=reason)


# Excel import and export ------------------------------------------------------------------


@dataclass(frozen=True)
class RowOutcome:
    row: int
    name: str
    expert_id: int


@dataclass(frozen=True)
class RowProblems:
    row: int
    name: str
    problems: list[str]


@dataclass
class ImportReport:
    created: list[RowOutcome] = field(default_factory=list)
    updated: list[RowOutcome] = field(default_factory=list)
    unchanged: list[RowOutcome] = field(default_factory=list)
    errors: list[RowProblems] = field(default_factory=list)  # rows not imported
    warnings: list[RowProblems] = field(default_factory=list)  # rows imported, with a caveat


def experts_import(
    *, workbook_bytes: bytes, by: Any, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Import an expert sheet (.xlsx): good rows are saved, bad rows are reported, each with its
    row number and every problem found in it.

    All rows are checked before anything is written. The good rows are then written in one
    transaction with a savepoint per row: the report says exactly what was committed (an
    unexpected failure rolls the whole import back, and running it again is safe because the
    import is idempotent), while a row that fails only at write time (a concurrent edit took
    its phone number) becomes a row error without losing the others. Rows that change nothing
    are counted as unchanged and leave no audit event, so re-importing an export is a no-op.
    A blank phone number on a matched expert keeps the stored one.

    `progress(done, total)`, when given, is called as rows are checked and then written (a
    background job shows it); it changes nothing in what is imported.
    """
    role = require_pool_manager(by)
    if len(workbook_bytes) > IMPORT_MAX_BYTES:
        raise Invalid(
            _("The file is larger than the limit of %(limit)s.")
            % {"limit": filesizeformat(IMPORT_MAX_BYTES)}
        )
    try:
        sheet = parse_workbook(workbook_bytes)
    except BadWorkbook as exc:
        raise Invalid(str(exc)) from exc
    if not sheet.rows:
        raise Invalid(_("The sheet has no experts in it."))

    today = timezone.localdate()
    organisations, pool = OrganisationIndex.load(), PoolIndex.load()
    report = ImportReport()
    plans: list[tuple[int, Resolved, Expert | None]] = []
    seen: dict[Any, int] = {}
    rows = len(sheet.rows)
    for checked, parsed in enumerate(sheet.rows):
        if progress is not None:
            progress(checked, 2 * rows)  # until checked, assume every row will be written
        entry = parsed.entry
        problems = [*parsed.problems, *entry_problems(entry, today, parsed.unreadable)]
        resolved, unresolved = resolve(entry, organisations)
        problems += unresolved
        target, ambiguity = pool.match(resolved) if entry.name else (None, "")
        if ambiguity:
            problems.append(ambiguity)
        digits = phone_digits(entry.phone)
        keys = [("expert", target.pk)] if target is not None else []
        keys.append(("phone", digits) if digits else ("person", entry.name, resolved.employer_key))
        for key in keys:
            if key in seen:
                problems.append(
                    _("Row %(row)d describes the same expert; keep one of the two rows.")
                    % {"row": seen[key]}
                )
                break
        for key in keys:
            seen.setdefault(key, parsed.row)
        if problems:
            report.errors.append(RowProblems(parsed.row, entry.name or "—", problems))
            continue
        warning = employer_warning(entry, resolved)
        if warning:
            report.warnings.append(RowProblems(parsed.row, entry.name, [warning]))
        if target is not None and not entry.phone:
            resolved.fields["phone"] = target.phone
        plans.append((parsed.row, resolved, target))

    total = rows + len(plans)
    if progress is not None:
        progress(rows, total)
    with transaction.atomic():
        for written, (row, resolved, target) in enumerate(plans):
            if progress is not None:
                progress(rows + written, total)
            context = {"via": "excel", "row": row}
            try:
                with transaction.atomic():
                    if target is None:
                        expert = _create(resolved, by=by, role=role, context=context)
                        outcome = report.created
                    else:
                        expert = lock(target)
                        changed = _update(expert, resolved, by=by, role=role, context=context)
                        outcome = report.updated if changed else report.unchanged
            except (IntegrityError, DomainError):
                report.errors.append(
                    RowProblems(
                        row,
                        resolved.fields["name"],
                        [_("Someone changed the pool at the same time; import this row again.")],
                    )
                )
                continue
            outcome.append(RowOutcome(row, expert.name, expert.pk))
    report.errors.sort(key=lambda r: r.row)
    if progress is not None:
        progress(total, total)
    return report


def expert_entry(expert: Expert) -> ExpertEntry:
    """An expert as the sheet and the edit form describe it (the inverse of the import)."""
    return ExpertEntry(
        name=expert.name,
        phone=expert.phone,
        employer=_employer_key(expert),
        title=expert.title,
        years_of_work=expert.years_of_work,
        sectors=tuple(expert.sectors),
        region=expert.region,
        active=expert.active,
        relations=tuple(
            RelationEntry(
                kind=r.kind,
                organisation=r.organisation.name,
                person_name=r.person_name,
                relationship=r.relationship,
                ended_on=r.ended_on,
            )
            for r in expert.relations.all()
        ),
    )


def experts_export(*, by: Any) -> bytes:
    """The whole pool as an .xlsx with the import's columns: it re-imports without change.
    It holds personal data (phone numbers), so only those who maintain the pool get it."""
    require_pool_manager(by)
    experts = (
        Expert.objects.select_related("employer")
        .prefetch_related(
            Prefetch(
                "relations",
                queryset=ExpertRelation.objects.select_related("organisation").order_by("id"),
            )
        )
        .order_by("id")
    )
    return write_workbook(expert_entry(e) for e in experts)
