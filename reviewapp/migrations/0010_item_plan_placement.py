"""Improvement items carry their place on the plan (level, question risk, priority) so plan lists sort, filter
and page in the database; this fills it for the items that exist, as services.answers.items_sync now keeps it."""

from django.db import migrations, models

from questionnaire.rating import Level, Risk
from reviewapp.risk import NOT_IN_CATALOGUE, plan_priority

BATCH = 2000


def place_items(apps, schema_editor):
    Review = apps.get_model("reviewapp", "Review")
    Answer = apps.get_model("reviewapp", "Answer")
    BestPractice = apps.get_model("questionnaire", "BestPractice")
    ImprovementItem = apps.get_model("reviewapp", "ImprovementItem")
    reviews = {
        (workload_id, lens_id): (review_id, version_id)
        for review_id, workload_id, lens_id, version_id in Review.objects.values_list(
            "pk", "workload_id", "lens_id", "lens_version_id"
        )
    }
    # (version, code) -> (question, level, position in the version), as specs.version_specs numbers them.
    practices = {}
    position = {}
    for version_id, question_id, code, level in BestPractice.objects.order_by(
        "question__lens_version_id", "question__order", "order"
    ).values_list("question__lens_version_id", "question_id", "code", "level"):
        practices[(version_id, code)] = (question_id, level, position.setdefault(version_id, 0))
        position[version_id] += 1
    risks = {
        (review_id, question_id): risk
        for review_id, question_id, risk in Answer.objects.values_list("review_id", "question_id", "risk")
    }
    changed = []
    for item in ImprovementItem.objects.only("pk", "workload_id", "lens_id", "bp_code").iterator(BATCH):
        review_id, version_id = reviews.get((item.workload_id, item.lens_id), (None, None))
        practice = practices.get((version_id, item.bp_code))
        if practice is None:
            item.level, item.question_risk, item.priority = "", "UNANSWERED", NOT_IN_CATALOGUE
        else:
            question_id, level, place = practice
            risk = risks.get((review_id, question_id), "UNANSWERED")
            item.level, item.question_risk = level, risk
            item.priority = plan_priority(Risk(risk), Level(level) if level else None, place)
        changed.append(item)
        if len(changed) >= BATCH:
            ImprovementItem.objects.bulk_update(changed, ["level", "question_risk", "priority"])
            changed = []
    ImprovementItem.objects.bulk_update(changed, ["level", "question_risk", "priority"])


class Migration(migrations.Migration):

    dependencies = [
        ('questionnaire', '0002_catalogue_interop'),
        ('reviewapp', '0009_portfolio_reports_and_jira'),
    ]

    operations = [
        migrations.AddField(
            model_name='improvementitem',
            name='level',
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name='improvementitem',
            name='priority',
            field=models.PositiveIntegerField(default=2000000),
        ),
        migrations.AddField(
            model_name='improvementitem',
            name='question_risk',
            field=models.CharField(default='UNANSWERED', max_length=16),
        ),
        migrations.AddIndex(
            model_name='improvementitem',
            index=models.Index(fields=['workload', 'is_active', 'priority'], name='item_plan_order'),
        ),
        migrations.AddIndex(
            model_name='improvementitem',
            index=models.Index(fields=['is_active', 'priority'], name='item_portfolio_order'),
        ),
        migrations.RunPython(place_items, migrations.RunPython.noop),
    ]
