"""`manage.py load_subsidy_rules`: enter Wucheng's subsidy rules (seed 000, 五(二)).

Idempotent: rules are matched by code, so loading again changes nothing, and a rule whose
figures were edited in the admin is set back to the published figures (its `active` flag is
left as the admin set it).
"""

from dataclasses import asdict

from django.core.management.base import BaseCommand
from django.db import transaction

from workflow.models import SubsidyRule
from workflow.rules.subsidies import WUCHENG_RULES


class Command(BaseCommand):
    help = "Load Wucheng's subsidy rules (装修设计补助, 培养奖励); loading again changes nothing."

    @transaction.atomic
    def handle(self, *args, **options):
        for rule in WUCHENG_RULES:
            figures = asdict(rule)
            code = figures.pop("code")
            row = SubsidyRule.objects.select_for_update().filter(code=code).first()
            if row is None:
                SubsidyRule.objects.create(code=code, **figures)
                self.stdout.write(self.style.SUCCESS(f"Added “{rule.name}”."))
                continue
            changed = [name for name, value in figures.items() if getattr(row, name) != value]
            if not changed:
                self.stdout.write(f"“{rule.name}” is up to date: nothing to do.")
                continue
            for name in changed:
                setattr(row, name, figures[name])
            row.full_clean()
            row.save(update_fields=changed)
            self.stdout.write(self.style.SUCCESS(f"Updated “{rule.name}”: {', '.join(changed)}."))
