"""`manage.py load_rubric shaoxing|shanxi [--call ID]`: load a sample rubric.

Without --call the sample becomes a template (loading it again changes nothing); with --call it
becomes that call's rubric, validated and audited like any other, as a system action.
"""

from django.core.management.base import BaseCommand, CommandError

from workflow.errors import DomainError
from workflow.models import Call, Rubric
from workflow.rubrics_data import SAMPLES
from workflow.services.rubrics import rubric_load_sample


class Command(BaseCommand):
    help = "Load a sample rubric (评分细则) as a template, or onto a call with --call."

    def add_arguments(self, parser):
        parser.add_argument("sample", choices=sorted(SAMPLES), help="which sample to load")
        parser.add_argument("--call", type=int, help="the id of the call to give this rubric")

    def handle(self, *args, **options):
        sample = SAMPLES[options["sample"]]
        call = None
        if options["call"] is not None:
            call = Call.objects.filter(pk=options["call"]).first()
            if call is None:
                raise CommandError(f"There is no call with id {options['call']}.")
            existing = Rubric.objects.filter(call=call).first()
            if existing is not None and existing.name == sample.name:
                self.stdout.write(f"Call {call.pk} already has “{existing.name}”: nothing to do.")
                return
        try:
            rubric = rubric_load_sample(key=sample.key, by=None, call=call)
        except DomainError as exc:
            details = "; ".join(exc.problems)
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        n = rubric.indicators.count()
        target = f"call {call.pk} “{call.title}”" if call else "a template"
        self.stdout.write(
            self.style.SUCCESS(f"Loaded “{rubric.name}” ({n} indicators) as {target}.")
        )
