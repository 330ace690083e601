"""Form fields and widgets every app's forms share (no model, no app: the bottom layer).

- ``MultipleFileField``: several files in one input, each cleaned by ``FileField`` (the
  content checks are ``lib.uploads.check_upload``'s, in the services); accepts PDF, JPEG, PNG
  by default.
- ``DateInput``, ``DateTimeInput``: the browser's native pickers (ISO formats).
- ``add_service_error``, ``flash_service_error``: a service refusal (``lib.errors``) on the
  form (on the field it names, else on the whole form), or as a message for a formless action.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; at most ``max_files`` (10 by default) per sending."""

    widget = MultipleFileInput

    def __init__(self, *args, max_files: int = 10, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            files = [d for d in data if d]
            if len(files) > self.max_files:
                raise forms.ValidationError(
                    _("%(n)s fichiers au plus par envoi (vous en avez joint %(count)s).")
                    % {"n": self.max_files, "count": len(files)}
                )
            return [super(MultipleFileField, self).clean(d, initial) for d in files]
        return [super().clean(data, initial)] if data else []


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def add_service_error(form: forms.BaseForm, exc: Exception, *, field: str | None = None) -> None:
    """Put a service's refusal on a form — the one way views show service errors.

    Takes the bound form, the exception (a ``lib.errors.ServiceError`` or any Django
    ``ValidationError``; anything else shows ``str(exc)``) and ``field``, a fallback field for
    messages that name none. Each message goes on the field it names (``ServiceError.field`` or
    a key of the error dict) when the form has that field, else on the fallback field when the
    form has it, else among the form's non-field errors. Returns nothing; raises nothing.
    """
    fallback = field if field in form.fields else None
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else fallback, messages)
    elif isinstance(exc, ValidationError):
        form.add_error(fallback, exc.messages)
    else:
        form.add_error(fallback, str(exc))


def flash_service_error(request: HttpRequest, exc: Exception) -> None:
    """Show a service's refusal as a message on the next page — for actions without a form.

    Takes the request and the exception (a ``ServiceError``, any ``ValidationError``, else its
    ``str``); adds one error message per message. Returns nothing; raises nothing.
    """
    texts = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    for text in texts:
        messages.error(request, text)
