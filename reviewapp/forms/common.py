"""What every form of the app shares. A form never saves: views hand its cleaned data to a service and, when
the service refuses (a name taken a moment ago, a rule only it knows), `add_service_errors` puts its messages on
the same fields."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from ..models import User


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields; anything else becomes a form-wide error."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields else None
        if field == NON_FIELD_ERRORS:
            target = None
        form.add_error(target, messages)


def find_user(username: str) -> User | None:
    """The user with this username; case does not matter unless two accounts differ only by case."""
    username = username.strip()
    exact = User.objects.filter(username=username).first()
    if exact is not None:
        return exact
    matches = list(User.objects.filter(username__iexact=username)[:2])
    return matches[0] if len(matches) == 1 else None


def owner_choices(members: list[User], empty: str) -> list[tuple[str, str]]:
    """Choices of a person picker: `empty` first, then each member by display name."""
    return [("", empty), *((str(user.pk), user.display_name()) for user in members)]


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's field `name`, which must be a ChoiceField: for setting its choices per request."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
    return field


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """The form's field `name`, which must be a ModelChoiceField: for narrowing its queryset per request."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a model choice field")
    return field
