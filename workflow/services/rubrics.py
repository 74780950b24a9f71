"""评分细则: create, copy and change rubrics, always validated and audited.

A template rubric (no call) is configuration: the loader command and administrators with the
model permission write it. A call's rubric belongs to the office that runs the call. A call's
rubric is frozen as soon as scoring has begun (a mark or a verified value exists) or the call
has left review: experts and applicants relied on it, and changing it then would change the
outcome after the fact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from workflow import access, audit
from workflow.choices import Aggregation, CallState
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import Call, Indicator, Rubric, Score, VerifiedValue
from workflow.rubrics_data import SAMPLES
from workflow.rules.rubric import IndicatorSpec, as_decimal, depth_first, tree_problems
from workflow.services.base import lock

SYSTEM = "system"
CONFIGURATION = "configuration"
EDITABLE_CALL_STATES = (
    CallState.DRAFT,
    CallState.PUBLISHED,
    CallState.CLOSED,
    CallState.UNDER_REVIEW,
)
SETTINGS = ("name", "aggregation", "dispersion_margin", "abnormal_low_ratio", "abnormal_high_ratio")


def specs_of(rubric: Rubric) -> list[IndicatorSpec]:
    """The stored tree as plain specs (one query)."""
    rows = list(rubric.indicators.select_related("parent"))
    return [
        IndicatorSpec(
            code=i.code,
            name=i.name,
            level=i.level,
            weight=i.weight,
            kind=i.kind,
            parent=i.parent.code if i.parent else None,
            position=i.position,
            guidance=tuple(i.guidance or ()),
            lower_is_better=i.lower_is_better,
            unit=i.unit,
        )
        for i in rows
    ]


def _spec_record(spec: IndicatorSpec) -> dict[str, Any]:
    return {
        "code": spec.code,
        "name": spec.name,
        "level": spec.level,
        "parent": spec.parent,
        "weight": str(spec.weight),
        "kind": spec.kind,
        "lower_is_better": spec.lower_is_better,
        "unit": spec.unit,
        "guidance": list(spec.guidance),
    }


def _require_editor(by: Any, call: Call | None) -> str:
    """The role in which `by` may write this rubric; `by=None` is the loader command."""
    if by is None:
        return SYSTEM
    if call is not None:
        return access.require_office(by, call)
    if by.is_authenticated and by.is_active and by.has_perm("workflow.change_rubric"):
        return CONFIGURATION
    raise NotPermitted(_("Only administrators may change template rubrics."))


def _require_unfrozen(rubric: Rubric) -> None:
    if rubric.call_id is None:
        return
    call = rubric.call
    started = (
        Score.objects.filter(indicator__rubric=rubric).exists()
        or VerifiedValue.objects.filter(indicator__rubric=rubric).exists()
    )
    if started or call.state not in EDITABLE_CALL_STATES:
        raise Conflict(_("Scoring has begun on this call, so its rubric can no longer be changed."))


def _validated(specs: Sequence[IndicatorSpec]) -> list[IndicatorSpec]:
    problems = tree_problems(specs)
    if problems:
        raise Invalid(_("The rubric is not valid."), problems)
    return depth_first(specs)


def _write_tree(rubric: Rubric, specs: Sequence[IndicatorSpec]) -> None:
    """Create the rows level by level, so that every parent exists before its children."""
    ids: dict[str, int] = {}
    for level in (1, 2, 3):
        rows = [
            Indicator(
                rubric=rubric,
                parent_id=ids[s.parent] if s.parent else None,
                level=s.level,
                position=s.position,
                code=s.code,
                name=s.name,
                weight=as_decimal(s.weight),
                kind=s.kind,
                guidance=[dict(b) for b in s.guidance],
                lower_is_better=s.lower_is_better,
                unit=s.unit,
            )
            for s in specs
            if s.level == level
        ]
        for row in Indicator.objects.bulk_create(rows):
            ids[row.code] = row.pk


def _check_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name or len(name) > 200:
            raise Invalid(_("A rubric needs a name of at most 200 characters."))
        clean["name"] = name
    if "aggregation" in values:
        if values["aggregation"] not in Aggregation.values:
            raise Invalid(_("Unknown aggregation method."))
        clean["aggregation"] = values["aggregation"]
    if "dispersion_margin" in values:
        margin = as_decimal(values["dispersion_margin"])
        if margin is None or not Decimal(0) < margin <= 100:
            raise Invalid(_("The dispersion margin is a number of points above 0, at most 100."))
        clean["dispersion_margin"] = margin
    low = as_decimal(values.get("abnormal_low_ratio", Decimal("0.60")))
    high = as_decimal(values.get("abnormal_high_ratio", Decimal("0.95")))
    if low is None or high is None or not Decimal(0) <= low < high <= 1:
        raise Invalid(
            _("The bounds for unusual marks are shares from 0 to 1, the low one below the high.")
        )
    for name, value in (("abnormal_low_ratio", low), ("abnormal_high_ratio", high)):
        if name in values:
            clean[name] = value
    return clean


def _create(
    *,
    name: str,
    source: str,
    call: Call | None,
    specs: Sequence[IndicatorSpec],
    settings: Mapping[str, Any],
    by: Any,
    role: str,
    action: str,
    origin: Mapping[str, Any],
) -> Rubric:
    ordered = _validated(specs)
    clean = _check_settings({"name": name, **settings})
    if call is not None:
        call = lock(call)
        if Rubric.objects.filter(call=call).exists():
            raise Conflict(_("This call already has a rubric."))
        if call.state not in EDITABLE_CALL_STATES:
            raise Conflict(
                _("The call is “%(state)s”; its rubric can no longer be set.")
                % {"state": call.get_state_display()}
            )
    rubric = Rubric.objects.create(call=call, source=source[:200], **clean)
    _write_tree(rubric, ordered)
    audit.record(
        action=action,
        obj=rubric,
        by=by,
        role=role,
        diff={
            **origin,
            "call": call.pk if call else None,
            **{k: str(v) for k, v in clean.items()},
            "indicators": [_spec_record(s) for s in ordered],
        },
    )
    return rubric


def rubric_create(
    *,
    name: str,
    specs: Sequence[IndicatorSpec],
    by: Any,
    call: Call | None = None,
    source: str = "",
    **settings: Any,
) -> Rubric:
    """A new rubric from an indicator tree: a template, or the rubric of a call."""
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise Invalid(_("Unknown rubric setting."))
    role = _require_editor(by, call)
    with transaction.atomic():
        return _create(
            name=name,
            source=source,
            call=call,
            specs=specs,
            settings=settings,
            by=by,
            role=role,
            action="rubric.create",
            origin={},
        )


def rubric_load_sample(*, key: str, by: Any, call: Call | None = None) -> Rubric:
    """Load a sample from workflow.rubrics_data as a template, or straight onto a call.
    `by=None` is the loader command acting as the system.

    Idempotent for templates: a template of the same name is returned unchanged.
    """
    sample = SAMPLES.get(key)
    if sample is None:
        raise Invalid(
            _("Unknown sample rubric “%(key)s”; choose one of: %(keys)s.")
            % {"key": key, "keys": ", ".join(sorted(SAMPLES))}
        )
    role = _require_editor(by, call)
    with transaction.atomic():
        if call is None:
            existing = Rubric.objects.filter(call__isnull=True, name=sample.name).first()
            if existing is not None:
                return existing
        return _create(
            name=sample.name,
            source=sample.source,
            call=call,
            specs=sample.specs,
            settings={
                "aggregation": sample.aggregation,
                "dispersion_margin": sample.dispersion_margin,
            },
            by=by,
            role=role,
            action="rubric.load_sample",
            origin={"sample": key},
        )


def rubric_create_from_template(*, template: Rubric, call: Call, by: Any) -> Rubric:
    """Copy a template onto a call; the copy is what the call's experts score."""
    if template.call_id is not None:
        raise Invalid(_("Only a template rubric (one without a call) can be copied."))
    role = _require_editor(by, call)
    with transaction.atomic():
        return _create(
            name=template.name,
            source=template.source,
            call=call,
            specs=specs_of(template),
            settings={name: getattr(template, name) for name in SETTINGS if name != "name"},
            by=by,
            role=role,
            action="rubric.create_from_template",
            origin={"template": template.pk},
        )


def rubric_set_indicators(*, rubric: Rubric, by: Any, specs: Sequence[IndicatorSpec]) -> Rubric:
    """Replace the whole indicator tree after validating it; the old and new trees are
    audited."""
    role = _require_editor(by, rubric.call)
    with transaction.atomic():
        rubric = lock(rubric)
        _require_unfrozen(rubric)
        ordered = _validated(specs)
        old = [_spec_record(s) for s in depth_first(specs_of(rubric))]
        new = [_spec_record(s) for s in ordered]
        if old == new:
            return rubric
        # Nothing refers to the rows yet (the rubric is not frozen); children go with parents.
        rubric.indicators.all().delete()
        _write_tree(rubric, ordered)
        audit.record(
            action="rubric.set_indicators",
            obj=rubric,
            by=by,
            role=role,
            diff={"indicators": {"old": old, "new": new}},
        )
    return rubric


def rubric_update_settings(*, rubric: Rubric, by: Any, **values: Any) -> Rubric:
    """Name, aggregation method, dispersion margin and the bounds for unusual marks."""
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise Invalid(_("Unknown rubric setting."))
    role = _require_editor(by, rubric.call)
    with transaction.atomic():
        rubric = lock(rubric)
        _require_unfrozen(rubric)
        merged = {
            "abnormal_low_ratio": rubric.abnormal_low_ratio,
            "abnormal_high_ratio": rubric.abnormal_high_ratio,
            **values,
        }
        clean = {k: v for k, v in _check_settings(merged).items() if k in values}
        diff = {
            k: {"old": str(getattr(rubric, k)), "new": str(v)}
            for k, v in clean.items()
            if getattr(rubric, k) != v
        }
        if not diff:
            return rubric
        for k, v in clean.items():
            setattr(rubric, k, v)
        rubric.save(update_fields=list(clean))
        audit.record(action="rubric.update", obj=rubric, by=by, role=role, diff=diff)
    return rubric


def rubric_is_frozen(rubric: Rubric) -> bool:
    """Whether the rubric can no longer be changed (scoring begun or the call past review);
    for pages that offer or refuse the editor. The services check it again when writing."""
    try:
        _require_unfrozen(rubric)
    except Conflict:
        return True
    return False


def rubric_copy(*, source: Rubric, call: Call, by: Any) -> Rubric:
    """Give `call` a copy of `source`: a template rubric, or the rubric of an earlier call that
    the user's office runs (its tree and settings, not its scores)."""
    if source.call_id is None:
        return rubric_create_from_template(template=source, call=call, by=by)
    role = _require_editor(by, call)
    if source.call_id == call.pk:
        raise Invalid(_("A call's rubric cannot be copied onto the same call."))
    access.require_office(by, source.call)
    with transaction.atomic():
        return _create(
            name=source.name,
            source=source.source,
            call=call,
            specs=specs_of(source),
            settings={name: getattr(source, name) for name in SETTINGS if name != "name"},
            by=by,
            role=role,
            action="rubric.copy",
            origin={"copied_from": source.pk, "copied_from_call": source.call_id},
        )
