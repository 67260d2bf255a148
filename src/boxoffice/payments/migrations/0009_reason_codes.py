"""Failure reasons and system notes stored as sentences (in Finnish or English, whichever
language the worker or request had) become reason codes and values (payments.reasons), so each
reader sees them in their own language. A sentence that is not one of ours (typed by a person,
or Paytrail's own words) is left as it is and shown as it is.

History rows are not rewritten (history is append-only); they are recognised when shown.
"""

from typing import Any

from django.db import migrations

# The live table of sentences: it knows every language's wording through the catalogs, which a
# frozen copy here would not. Recognising an old sentence is all this migration asks of it.
from boxoffice.payments.reasons import MESSAGES, reason_from_text


def _code(text: str) -> tuple[str, dict[str, Any]] | None:
    if not text or text in MESSAGES:
        return None
    reason = reason_from_text(text)
    return None if reason is None else (reason.code, reason.params)


def forwards(apps: Any, schema_editor: Any) -> None:
    for model in ("Payment", "Refund"):
        rows = apps.get_model("payments", model).objects.exclude(failure_reason="")
        for row in rows.iterator():
            found = _code(row.failure_reason)
            if found is not None:
                row.failure_reason, row.failure_params = found
                row.save(update_fields=["failure_reason", "failure_params"])
    Refund = apps.get_model("payments", "Refund")
    for refund in Refund.objects.exclude(note="").iterator():
        found = _code(refund.note)
        if found is not None and not found[1]:  # system notes have no values
            refund.note = found[0]
            refund.save(update_fields=["note"])
    AttentionItem = apps.get_model("payments", "AttentionItem")
    for item in AttentionItem.objects.filter(code="refund_failed").iterator():
        found = _code(str(item.detail.get("reason", "")))
        if found is not None:
            item.detail = {**item.detail, "reason": found[0]} | (
                {"reason_params": found[1]} if found[1] else {}
            )
            item.save(update_fields=["detail"])


class Migration(migrations.Migration):
    dependencies = [("payments", "0008_failure_params")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
