"""Generic API views every app configures, as `config.viewsets` does for the web."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.datastructures import MultiValueDict
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from .api import ModelPermissions, StablePagination, form_errors, refusal

API_REASON = "via the API"


def listed(lookup: str, queryset=None) -> Prefetch:
    """Prefetch related rows into a plain list, `listed_<lookup>`, for a serializer field with that
    source: a page of 50 rows then builds no queryset per row and relation, which is most of a
    list's cost otherwise."""
    return Prefetch(lookup, queryset, to_attr=f"listed_{lookup}")


class ReadOnlyModelViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [ModelPermissions]
    pagination_class = StablePagination


class FormWriteMixin(mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """Creates and changes go through the web's own model form (`write_form`), so the API accepts
    exactly what the browser would, and the history records the change as made through the API."""

    write_form = None

    def _save(self, request, instance=None, partial=False):
        if not isinstance(request.data, dict):
            return Response({"detail": "Send a JSON object."}, status=status.HTTP_400_BAD_REQUEST)
        nested = [
            k
            for k, v in request.data.items()
            if isinstance(v, dict) or (isinstance(v, list) and not many(self.write_form, k))
        ]
        if nested:
            return Response({k: ["Give a plain value."] for k in nested}, status=status.HTTP_400_BAD_REQUEST)
        data = dict(request.data)
        if partial and instance is not None:
            initial = self.write_form(instance=instance).initial
            data = {**{k: v for k, v in initial.items() if v is not None}, **data}
            data = {
                k: ([getattr(x, "pk", x) for x in v] if isinstance(v, list | tuple) else v) for k, v in data.items()
            }
        form = self.write_form(data=_form_data(data), instance=instance)
        if not form.is_valid():
            return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
        try:
            with transaction.atomic():
                obj = form.save(commit=False)
                obj._change_reason = f"{'Created' if instance is None else 'Changed'} {API_REASON}"
                obj.save()
                form.save_m2m()
        except ValidationError as error:
            raise refusal(error) from None
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(
            self.get_serializer(obj).data, status=status.HTTP_201_CREATED if instance is None else status.HTTP_200_OK
        )

    def create(self, request, *args, **kwargs):
        return self._save(request)

    def update(self, request, *args, **kwargs):
        return self._save(request, self.get_object(), partial=kwargs.get("partial", False))


def many(form_class, name: str) -> bool:
    field = form_class.base_fields.get(name)
    return isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField)


def _form_data(data: dict):
    """JSON as a form would receive it: lists stay lists, None is blank, the rest strings."""
    out = MultiValueDict()
    for key, value in data.items():
        if isinstance(value, list | tuple):
            out.setlist(key, [str(v) for v in value])
        elif value is None:
            out[key] = ""
        elif isinstance(value, bool):
            out[key] = "on" if value else ""
        else:
            out[key] = str(value)
    return out
