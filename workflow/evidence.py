"""证据包: everything the audit trail says about one project, as a ZIP a supervisor can take away.

A bundle holds

- `events.json`: every audit event about the application and its related objects (attachments,
  formal checks, expert assignments, avoidance requests, objections, task agreement, milestones,
  progress reports, acceptance reviews, plaque, performance reviews, fault-tolerance cases),
  oldest first, each with exactly the fields its hash covers, plus its hash;
- `documents/`: the application's attachments as stored, and the sealed objection letters when
  the requester may see them;
- `manifest.json`: what the bundle is about, who made it and when, the chain head at that moment
  and the SHA-256 of every document;
- `summary.pdf`: the same in Chinese for a reader (reportlab, CID font STSong-Light);
- `verify.py`: a standalone Python 3 script (stdlib only) that recomputes each event's hash as
  `workflow.audit.compute_hash` does, checks the `prev_hash` links between events that follow
  each other in the bundle, and the documents' SHA-256 against the manifest.

A bundle is a selection, not the whole chain: an event whose predecessor is not in the bundle is
linked to it only through its `prev_hash`, which the whole-chain check (`manage.py audit_verify`,
or the audit page) vouches for. The manifest's head hash is what to compare with a copy kept
outside the database.

The event selection is one query, however many related objects there are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from django.db import models
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone, translation

from workflow.audit import HASHED_FIELDS
from workflow.models import (
    Acceptance,
    Agreement,
    Application,
    Assignment,
    Attachment,
    AuditEvent,
    AuditHead,
    AvoidanceRequest,
    Award,
    FormalCheck,
    Milestone,
    Objection,
    PerformanceReview,
    ProgressReport,
    ToleranceCase,
)

BUNDLE_FORMAT = 1
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
COPY_CHUNK = 1024 * 1024
# The summary lists this many events at most; events.json always holds them all.
SUMMARY_MAX_EVENTS = 1000


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _ids(queryset: QuerySet) -> QuerySet:
    """The primary keys as text, the way AuditEvent.object_id stores them."""
    return queryset.annotate(_object_id=Cast("pk", output_field=CharField())).values("_object_id")


def application_related(application_id: int) -> dict[type[models.Model], QuerySet]:
    """The objects whose audit events belong to a project's record."""
    own = {"application_id": application_id}
    on_agreement = {"agreement__application_id": application_id}
    return {
        Attachment: Attachment.objects.filter(**own),
        FormalCheck: FormalCheck.objects.filter(**own),
        Assignment: Assignment.objects.filter(**own),
        AvoidanceRequest: AvoidanceRequest.objects.filter(**own),
        Objection: Objection.objects.filter(**own),
        Agreement: Agreement.objects.filter(**own),
        Milestone: Milestone.objects.filter(**on_agreement),
        ProgressReport: ProgressReport.objects.filter(**on_agreement),
        Acceptance: Acceptance.objects.filter(**own),
        Award: Award.objects.filter(**own),
        PerformanceReview: PerformanceReview.objects.filter(award__application_id=application_id),
        ToleranceCase: ToleranceCase.objects.filter(**own),
    }


def application_events(application: Application) -> QuerySet[AuditEvent]:
    """Every audit event about the application or an object of its record; one query."""
    condition = Q(object_type=_label(Application), object_id=str(application.pk))
    for model, queryset in application_related(application.pk).items():
        condition |= Q(object_type=_label(model), object_id__in=_ids(queryset))
    return AuditEvent.objects.filter(condition)


def case_events(case: ToleranceCase) -> QuerySet[AuditEvent]:
    """The project's record as for the application, with only this fault-tolerance case of it
    (a project's earlier cases are their own bundles)."""
    condition = Q(object_type=_label(Application), object_id=str(case.application_id))
    related = application_related(case.application_id)
    related[ToleranceCase] = ToleranceCase.objects.filter(pk=case.pk)
    for model, queryset in related.items():
        condition |= Q(object_type=_label(model), object_id__in=_ids(queryset))
    return AuditEvent.objects.filter(condition)


def _timestamp(value: dt.datetime) -> str:
    # The form workflow.audit.compute_hash hashes.
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_records(events: QuerySet[AuditEvent]) -> list[dict[str, Any]]:
    """The hashed fields of each event as stored, plus its hash, oldest first."""
    rows = []
    for values in events.order_by("sequence").values(*HASHED_FIELDS, "hash"):
        values["created_at"] = _timestamp(values["created_at"])
        rows.append(values)
    return rows


@dataclass(frozen=True)
class Document:
    path: str  # inside the ZIP
    file: Any  # the stored FieldFile
    recorded_sha256: str = ""  # what the database recorded at upload, if anything


def _safe_name(name: str) -> str:
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", "_", name).strip(" .")
    return name[-120:] or "document.pdf"


def application_documents(application: Application, *, letters: bool) -> list[Document]:
    """The attachments as stored, and the sealed objection letters if `letters`."""
    documents = [
        Document(
            path=f"documents/attachments/{a.pk}-{_safe_name(a.original_name)}",
            file=a.file,
            recorded_sha256=a.sha256,
        )
        for a in Attachment.objects.filter(application=application).order_by("pk")
    ]
    if letters:
        documents += [
            Document(
                path=f"documents/objections/{o.pk}-{_safe_name(o.letter_name or 'letter.pdf')}",
                file=o.letter,
                recorded_sha256=o.letter_sha256,
            )
            for o in Objection.objects.filter(application=application)
            .exclude(letter="")
            .order_by("pk")
        ]
    return documents


def _copy_document(archive: zipfile.ZipFile, document: Document) -> str:
    """Stream the stored file into the archive; its SHA-256, or "" if the file is missing."""
    try:
        source = document.file.storage.open(document.file.name, "rb")
    except (FileNotFoundError, OSError):
        return ""
    digest = hashlib.sha256()
    info = zipfile.ZipInfo(document.path, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    with source, archive.open(info, "w") as target:
        while chunk := source.read(COPY_CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


@dataclass
class Subject:
    """What a bundle is about, for the manifest and the summary."""

    kind: str  # "application" or "case"
    pk: int
    application: Application
    case: ToleranceCase | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)


def _facts(application: Application, case: ToleranceCase | None) -> list[tuple[str, str]]:
    facts = [
        ("申报书", f"{application.title}（编号 {application.pk}）"),
        ("申报单位", application.organisation.name),
        ("榜单", str(application.call)),
        ("发榜单位", application.call.office.name),
        ("申报书状态", str(application.get_state_display())),
    ]
    if case is not None:
        facts += [
            ("容错纠错申请", f"编号 {case.pk}"),
            ("申请状态", str(case.get_state_display())),
            ("容错决定", str(case.get_decision_display() or "—")),
            ("引用为证据的审计事件", "、".join(f"#{s}" for s in case_cited(case)) or "—"),
        ]
    return facts


def case_cited(case: ToleranceCase) -> list[int]:
    return list(case.evidence.order_by("sequence").values_list("sequence", flat=True))


def _beijing(value: str) -> str:
    moment = dt.datetime.fromisoformat(value)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def summary_pdf(
    subject: Subject,
    events: list[dict[str, Any]],
    manifest: Mapping[str, Any],
    action_labels: Mapping[str, Any],
) -> bytes:
    """A readable summary in Chinese: the facts, the chain head, the documents, the events."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from workflow.certificates import _font

    font = _font()

    def style(name: str, size: float) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=size * 1.45, wordWrap="CJK"
        )

    heading, body, small = style("h", 16), style("b", 10), style("s", 8)

    def p(text: Any, st: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(str(text)), st)

    with translation.override("zh-hans"):
        labels = {code: str(label) for code, label in action_labels.items()}

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title="审计证据包摘要",
        creator="jiebang",
        invariant=1,
    )
    title = "容错纠错证据包" if subject.kind == "case" else "申报项目审计证据包"
    story: list[Any] = [p(title, heading), Spacer(1, 4 * mm)]
    head = manifest["chain_head"]
    facts = [
        *subject.facts,
        ("生成时间", _beijing(manifest["generated_at"])),
        ("生成人", manifest["generated_by"] or "—"),
        ("审计事件数", str(len(events))),
        ("导出时链头", f"#{head['sequence']} {head['hash']}"),
    ]
    table = Table(
        [[p(k), p(v, small if k == "导出时链头" else body)] for k, v in facts],
        colWidths=[40 * mm, 140 * mm],
    )
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey)]))
    story += [table, Spacer(1, 4 * mm)]
    story.append(
        p(
            "校验方法：解压后运行 python3 verify.py，脚本逐条重算事件哈希、检查相邻事件的"
            "前序哈希链接和文件摘要，全部一致时输出 OK。完整链条的校验以系统审计页面或 "
            "manage.py audit_verify 为准，并与留存在系统外的链头哈希比对。"
        )
    )
    story.append(Spacer(1, 4 * mm))
    documents = manifest["documents"]
    if documents:
        rows = [[p("文件", small), p("SHA-256", small)]]
        rows += [[p(d["path"], small), p(d["sha256"] or "（文件缺失）", small)] for d in documents]
        table = Table(rows, colWidths=[80 * mm, 100 * mm], repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey)]))
        story += [p("文件清单"), table, Spacer(1, 4 * mm)]
    shown = events[-SUMMARY_MAX_EVENTS:]
    if len(shown) < len(events):
        story.append(
            p(f"以下仅列出最近 {len(shown)} 条事件，全部 {len(events)} 条见 events.json。")
        )
    rows = [[p(h, small) for h in ("序号", "时间（北京）", "操作人", "操作", "状态", "理由")]]
    for e in shown:
        state = f"{e['from_state']} → {e['to_state']}" if e["from_state"] or e["to_state"] else ""
        rows.append(
            [
                p(f"#{e['sequence']}", small),
                p(_beijing(e["created_at"]), small),
                p(e["actor_name"] or "—", small),
                p(labels.get(e["action"], e["action"]), small),
                p(state, small),
                p((e["reason"] or "")[:300], small),
            ]
        )
    table = Table(
        rows, colWidths=[14 * mm, 30 * mm, 24 * mm, 40 * mm, 30 * mm, 42 * mm], repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
    )
    story += [p("审计事件"), table]
    doc.build(story)
    return out.getvalue()


def _manifest(
    subject: Subject, events: list[dict[str, Any]], documents: list[dict[str, str]], by: Any
) -> dict[str, Any]:
    head = AuditHead.objects.filter(pk=1).values("sequence", "hash").first() or {
        "sequence": 0,
        "hash": "0" * 64,
    }
    return {
        "format": BUNDLE_FORMAT,
        "subject": {"kind": subject.kind, "id": subject.pk, "application": subject.application.pk},
        "generated_at": _timestamp(timezone.now()),
        "generated_by": by.get_username() if by is not None else "",
        "chain_head": head,
        "events": len(events),
        "first_sequence": events[0]["sequence"] if events else None,
        "last_sequence": events[-1]["sequence"] if events else None,
        "hashed_fields": list(HASHED_FIELDS),
        # sha256 "" marks a file missing from storage when the bundle was made.
        "documents": documents,
    }


def write_bundle(
    out: BinaryIO,
    subject: Subject,
    events: list[dict[str, Any]],
    documents: list[Document],
    by: Any,
    action_labels: Mapping[str, Any],
) -> None:
    """Write the ZIP to `out`; documents are streamed, never held in memory whole."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, data: bytes | str) -> None:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)

        listed = [
            {
                "path": d.path,
                "sha256": _copy_document(archive, d),
                "recorded_sha256": d.recorded_sha256,
            }
            for d in documents
        ]
        manifest = _manifest(subject, events, listed, by)
        dumps: dict[str, Any] = {"ensure_ascii": False, "indent": 2}
        put("events.json", json.dumps(events, **dumps))
        put("manifest.json", json.dumps(manifest, **dumps))
        put("verify.py", VERIFY_SCRIPT)
        put("summary.pdf", summary_pdf(subject, events, manifest, action_labels))


def application_subject(application: Application) -> tuple[Subject, QuerySet[AuditEvent]]:
    application = Application.objects.select_related("organisation", "call__office").get(
        pk=application.pk
    )
    subject = Subject("application", application.pk, application)
    subject.facts = _facts(application, None)
    return subject, application_events(application)


def case_subject(case: ToleranceCase) -> tuple[Subject, QuerySet[AuditEvent]]:
    case = ToleranceCase.objects.select_related(
        "application__organisation", "application__call__office"
    ).get(pk=case.pk)
    subject = Subject("case", case.pk, case.application, case)
    subject.facts = _facts(case.application, case)
    return subject, case_events(case)


def build_bundle(
    out: BinaryIO,
    item: Application | ToleranceCase,
    *,
    by: Any,
    letters: bool,
    action_labels: Mapping[str, Any] | None = None,
) -> None:
    """The evidence bundle of a project (an Application) or of a fault-tolerance case, written
    to `out`. Sealed objection letters go in only if `letters` (the requester may see them)."""
    if isinstance(item, ToleranceCase):
        subject, events = case_subject(item)
    elif isinstance(item, Application):
        subject, events = application_subject(item)
    else:
        raise TypeError(f"no evidence bundle for {type(item).__name__}")
    documents = application_documents(subject.application, letters=letters)
    write_bundle(out, subject, event_records(events), documents, by, action_labels or {})


def application_bundle(application: Application, **options: Any) -> bytes:
    out = io.BytesIO()
    build_bundle(out, application, **options)
    return out.getvalue()


def case_bundle(case: ToleranceCase, **options: Any) -> bytes:
    out = io.BytesIO()
    build_bundle(out, case, **options)
    return out.getvalue()


# The checker shipped in every bundle. It must hash exactly as workflow.audit.compute_hash and
# workflow.audit.digest do; tests/workflow/test_evidence.py holds the two together.
VERIFY_SCRIPT = r'''#!/usr/bin/env python3
"""Check an evidence bundle: run `python3 verify.py` in the unpacked bundle's folder.

1. Each event in events.json: SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8)
   of its hashed fields, the time in UTC with microseconds, must equal its "hash".
2. Events whose sequence numbers follow each other: the later one's "prev_hash" must be the
   earlier one's "hash". (The whole chain is checked in the system: manage.py audit_verify.)
3. Each document listed in manifest.json: its SHA-256 must match.

Prints OK, or the first mismatch and exits with status 1. Python 3 standard library only.
"""

import datetime
import hashlib
import json
import os
import sys

HASHED_FIELDS = (
    "sequence", "created_at", "actor_id", "actor_name", "role", "action", "object_type",
    "object_id", "from_state", "to_state", "reason", "diff", "client_ip", "prev_hash",
)


def digest(data):
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def timestamp(value):
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("time without a time zone: " + value)
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")


def compute_hash(event):
    payload = {name: event[name] for name in HASHED_FIELDS}
    payload["created_at"] = timestamp(payload["created_at"])
    return digest(payload)


def check(folder):
    with open(os.path.join(folder, "events.json"), encoding="utf-8") as handle:
        events = json.load(handle)
    previous = None
    for event in events:
        label = "event #%s" % event.get("sequence")
        try:
            computed = compute_hash(event)
        except (KeyError, TypeError, ValueError) as exc:
            return "MISMATCH %s: malformed (%s)" % (label, exc)
        if computed != event.get("hash"):
            return "MISMATCH %s: content does not match its hash" % label
        if previous is not None:
            if event["sequence"] <= previous["sequence"]:
                return "MISMATCH %s: out of order" % label
            if event["sequence"] == previous["sequence"] + 1:
                if event["prev_hash"] != previous["hash"]:
                    return "MISMATCH %s: previous-hash link does not match" % label
        previous = event
    manifest_path = os.path.join(folder, "manifest.json")
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as handle:
            manifest = json.load(handle)
        if manifest.get("events") != len(events):
            return "MISMATCH events.json: %d events, the manifest says %s" % (
                len(events), manifest.get("events"))
        for document in manifest.get("documents", []):
            path = os.path.join(folder, *document["path"].split("/"))
            if not document["sha256"]:
                continue  # the file was missing when the bundle was made; the manifest says so
            try:
                with open(path, "rb") as handle:
                    actual = hashlib.sha256(handle.read()).hexdigest()
            except OSError:
                return "MISMATCH %s: missing" % document["path"]
            if actual != document["sha256"]:
                return "MISMATCH %s: content does not match its SHA-256" % document["path"]
    return None


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    problem = check(folder)
    if problem:
        print(problem)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
