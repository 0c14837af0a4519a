"""Saved dashboard filters: a person names the dashboard's current filter to reuse it (dashboard, reports).

They are private to their owner (access.get_saved_filter_for_user) and store only the filter's values; what a
filter selects is always decided again, at use, by what its owner may see then.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..audit import audit_record
from ..models import SavedFilter, User
from ..selectors.dashboard import DashboardFilters

MAX_PER_USER = 50
NAME_MAX_LENGTH = 80


def saved_filter_create(*, user: User, name: str, filters: DashboardFilters) -> SavedFilter:
    """Save `filters` (already validated for `user`) as `name`; a clear error for a taken or empty name."""
    name = " ".join(name.split())
    values = filters.as_dict()
    if not name:
        raise ValidationError({"name": ["Give the filter a name."]})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": [f"A name is limited to {NAME_MAX_LENGTH} characters."]})
    if not values:
        raise ValidationError({"filters": ["Choose at least one filter before saving it."]})
    if SavedFilter.objects.filter(user=user, name__iexact=name).exists():
        raise ValidationError({"name": [f"You already have a filter named “{name}”; choose another name."]})
    if SavedFilter.objects.filter(user=user).count() >= MAX_PER_USER:
        raise ValidationError({"name": [f"You can keep at most {MAX_PER_USER} filters; delete one first."]})
    try:
        with transaction.atomic():
            saved = SavedFilter.objects.create(user=user, name=name, filters=values)
            audit_record(actor=user, action="saved_filter.create", obj=saved, after={"name": name, **values})
    except IntegrityError as exc:  # the same name saved a moment ago from another tab
        raise ValidationError({"name": [f"You already have a filter named “{name}”."]}) from exc
    return saved


@transaction.atomic
def saved_filter_delete(*, saved: SavedFilter, actor: User) -> None:
    audit_record(
        actor=actor, action="saved_filter.delete", obj=saved, before={"name": saved.name, **saved.filters}
    )
    saved.delete()


__all__ = ["saved_filter_create", "saved_filter_delete"]
