"""Re-run a draw from its recorded inputs and revealed seed: MATCH, or the first difference."""

import hashlib

from django.core.management.base import BaseCommand, CommandError

from workflow.audit import digest
from workflow.models import AuditEvent, Draw
from workflow.rules import draw as rules


class Command(BaseCommand):
    help = "Verify an expert draw: commitment, recorded inputs and result. Exit 1 on a difference."

    def add_arguments(self, parser):
        parser.add_argument("draw_id", type=int)

    def handle(self, *args, draw_id: int, **options):
        draw = Draw.objects.filter(pk=draw_id).first()
        if draw is None:
            raise CommandError(f"no draw #{draw_id}")
        if not draw.seed:
            raise CommandError(f"draw #{draw_id} has not revealed its seed yet ({draw.state})")
        commit = (
            AuditEvent.objects.filter(
                object_type="workflow.draw", object_id=str(draw.pk), action="draw.commit"
            )
            .order_by("sequence")
            .last()
        )
        if commit is None:
            raise CommandError("DIFFERENCE: no commitment in the audit trail")
        checks = [
            ("seed commitment", hashlib.sha256(draw.seed.encode()).hexdigest(),
             commit.diff.get("seed_commitment")),
            ("recorded inputs", digest(draw.inputs), commit.diff.get("inputs_digest")),
        ]  # fmt: skip
        for name, actual, committed in checks:
            if actual != committed:
                raise CommandError(f"DIFFERENCE: {name}: committed {committed}, now {actual}")
        try:
            recomputed = rules.run(draw.seed, draw.inputs)
        except rules.DrawImpossible as exc:
            recomputed = {"impossible": exc.reasons}
        recorded = draw.result or {}
        if draw.state == "superseded" and not recorded:
            self.stdout.write("the draw was set aside before a result was recorded")
            recorded = recomputed if "impossible" in recomputed else {}
        difference = rules.first_difference(recorded, recomputed)
        if difference:
            raise CommandError(f"DIFFERENCE: {difference}")
        self.stdout.write(self.style.SUCCESS("MATCH"))
