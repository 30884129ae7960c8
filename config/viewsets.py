"""Generic, permission-checked views; each model's views are configuration of these.

Anonymous users are sent to sign in; signed-in users without the model permission get 403; an
object that does not exist is a 404.
"""

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import CreateView, DetailView, UpdateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from . import versions
from .exports import export_response
from .fields import MAX_ID, delete_unreferenced_file

MAX_PER_PAGE = 100


def add_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its fields where it names them, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in error.messages:
            form.add_error(None, message)


def keep_stored_fields(instance, form):
    """Lock the stored row and keep its values for every field the form does not edit, so a save
    never writes back a status (or anything else) that a service changed since the form was read."""
    if instance.pk is None:
        return None
    stored = type(instance).objects.select_for_update().get(pk=instance.pk)
    edited = {name for name, field in form.fields.items() if not field.disabled}
    for field in instance._meta.concrete_fields:
        if field.name not in edited and not field.primary_key:
            setattr(instance, field.attname, getattr(stored, field.attname))
    return stored


def unique_rule_message(error: IntegrityError) -> str:
    """A refused duplicate in words: the model constraint the database named, else in general."""
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name and getattr(constraint, "fields", None):
                fields = [model._meta.get_field(f).verbose_name for f in constraint.fields]
                return (
                    f"Two {model._meta.verbose_name_plural} cannot have the same {fields[-1]}"
                    f"{' per ' + ', '.join(fields[:-1]) if len(fields) > 1 else ''}: remove or change the repeated one."
                )
    return "Another change was saved at the same moment, or two rows repeat each other; check the form and save again."


def discard_uploads(formsets: dict) -> None:
    """Files written to storage by a save that was then rolled back: nothing refers to them."""
    for formset in formsets.values():
        for form in formset.forms:
            for field in form.instance._meta.concrete_fields:
                if isinstance(field, models.FileField) and form.files.get(form.add_prefix(field.name)):
                    delete_unreferenced_file(field, getattr(form.instance, field.attname).name)


def model_permission(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


class ModelPermissionMixin(PermissionRequiredMixin):
    """Requires `<app>.<action>_<model>`; `permission_action` says which action."""

    permission_action = "view"

    def get_permission_required(self):
        return (model_permission(self.model, self.permission_action),)


def positive_int(text: str | None, *, upper: int = MAX_ID) -> int | None:
    """A whole number from 1 to `upper` typed in ASCII digits (so no "²" or "١٢" that
    `isdigit()` accepts and `int()` or the database would not), else None."""
    if text and text.isascii() and text.isdigit() and len(text) <= 19:
        number = int(text)
        return number if 1 <= number <= upper else None
    return None


def redirect_back(request, target: str | None, fallback: str) -> HttpResponseRedirect:
    """Go to `target` when it is a path on this site, else to `fallback`: never elsewhere, and
    never a string Django would try to read as a view name."""
    target = target or ""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or not target.isprintable()
        or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        target = fallback
    return HttpResponseRedirect(target)


class ObjectListView(ModelPermissionMixin, SingleTableMixin, FilterView):
    """A django-tables2 table with a django-filter form, sorting, pagination and CSV/XLSX export.

    Page and page size are bounded before the table reads them; an export format that is not
    offered is a 400; the export streams exactly the rows the filtered, sorted list shows."""

    template_name = "generic/object_list.html"
    # The table paginates (and answers a page past the end with the last one); the list view
    # itself must not paginate again, or a valid table page could be a 404.
    table_pagination = {"per_page": 25}
    export_formats = ("csv", "xlsx")
    title = ""
    add_url_name = ""
    import_url_name = ""  # a spreadsheet import creates and corrects rows, so it takes both permissions

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("_export")
        if export_format is not None and export_format not in self.export_formats:
            offered = " or ".join(name.upper() for name in self.export_formats)
            return HttpResponseBadRequest(f"This list exports as {offered} only.")
        query = request.GET.copy()
        for name, upper in (("page", 10**6), ("per_page", MAX_PER_PAGE)):
            if name in query and positive_int(query[name], upper=upper) is None:
                del query[name]  # a page that cannot exist is the first one, a page size the default
        request.GET = query
        return super().get(request, *args, **kwargs)

    def render_to_response(self, context, **kwargs):
        export_format = self.request.GET.get("_export")
        if export_format in self.export_formats:
            # The table the list built already holds the filtered, sorted queryset the export reads.
            return export_response(
                export_format,
                context[self.context_table_name],
                name=self.model._meta.verbose_name_plural.replace(" ", "-"),
                title=context["title"],
                table_kwargs=self.get_table_kwargs(),
            )
        return super().render_to_response(context, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        can_add = self.add_url_name and user.has_perm(model_permission(self.model, "add"))
        can_import = self.import_url_name and user.has_perms(
            [model_permission(self.model, "add"), model_permission(self.model, "change")]
        )
        # What the person chose, not the list's own defaults (the flag list's "open"): a panel with
        # a choice in it stays open on a phone.
        filter_fields = context["filter"].form.fields if context.get("filter") else {}
        applied = [name for name in filter_fields if any(self.request.GET.getlist(name))]
        context.update(
            filters_applied=applied,
            title=self.title or self.model._meta.verbose_name_plural.capitalize(),
            verbose_name=self.model._meta.verbose_name,
            add_url_name=self.add_url_name if can_add else "",
            import_url_name=self.import_url_name if can_import else "",
        )
        return context


class ObjectDetailView(ModelPermissionMixin, DetailView):
    template_name_suffix = "_detail"


class FormsetsMixin:
    """An object form with inline formsets (`formset_classes`: prefix → formset class), saved together."""

    formset_classes: dict = {}
    success_message = "Saved."

    def get_formsets(self):
        data = self.request.POST if self.request.method == "POST" else None
        files = self.request.FILES if self.request.method == "POST" else None
        return self.build_formsets(data, files, instance=self.object)

    def build_formsets(self, data=None, files=None, *, instance=None) -> dict:
        return {
            prefix: formset_class(data, files, instance=instance, prefix=prefix)
            for prefix, formset_class in self.formset_classes.items()
        }

    def stored_form_and_formsets(self, stored):
        """The form and formsets as they would be opened now, from the stored rows."""
        kwargs = {k: v for k, v in self.get_form_kwargs().items() if k not in {"data", "files"}}
        kwargs["instance"] = stored
        return self.get_form_class()(**kwargs), self.build_formsets(instance=stored)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("formsets", self.get_formsets())
        obj = getattr(self, "object", None)
        context.setdefault("form_title", f"Edit {obj}" if obj and obj.pk else f"New {self.model._meta.verbose_name}")
        if not (obj and obj.pk):
            posted = self.request.POST.get(versions.SUBMISSION_FIELD) if self.request.method == "POST" else None
            context.setdefault(
                "submission", posted if versions.submission_reason(posted) else versions.new_submission()
            )
        if obj is not None and obj.pk and "version" not in context:
            # A form shown again with errors keeps the version it was opened with, so a change
            # saved meanwhile by someone else is still noticed when it is saved.
            version = self.request.POST.get(versions.FIELD) if self.request.method == "POST" else None
            if not version:
                # On a POST the form has copied its values onto `obj`: read the stored row again.
                stored = obj if self.request.method == "GET" else type(obj).objects.get(pk=obj.pk)
                version = versions.sign(versions.fingerprint(*self.stored_form_and_formsets(stored)))
            context["version"] = version
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object_or_none()
        creating = self.object is None
        form = self.get_form()
        formsets = self.get_formsets()
        version = None
        reason = versions.submission_reason(request.POST.get(versions.SUBMISSION_FIELD)) if creating else None
        if form.is_valid() and all(fs.is_valid() for fs in formsets.values()):
            try:
                with transaction.atomic():
                    stored = keep_stored_fields(form.instance, form)
                    if stored is not None:
                        self.check_version(stored, form)
                    if reason:
                        twin = versions.created_by_submission(self.model, reason)
                        if twin is not None:  # a double submit: the first one created it
                            return HttpResponseRedirect(twin.get_absolute_url())
                        form.instance._change_reason = reason
                    self.object = form.save()
                    for formset in formsets.values():
                        formset.instance = self.object
                        formset.save()
                    self.after_save(form, formsets)
            except ValidationError as error:
                discard_uploads(formsets)
                add_errors(form, error)
            except versions.Conflict as conflict:
                discard_uploads(formsets)
                stored_form, stored_formsets = self.stored_form_and_formsets(stored)
                form.add_error(None, conflict.message(stored_form, stored_formsets))
                version = versions.sign(versions.fingerprint(stored_form, stored_formsets))
                self.object = stored
            except IntegrityError as error:
                discard_uploads(formsets)
                # Two rows of the form that the database holds to be the same, or another request
                # that saved a conflicting row a moment ago: validating again names the latter on
                # its field; the constraint names the former.
                form, formsets = self.get_form(), self.get_formsets()
                if form.is_valid() and all(fs.is_valid() for fs in formsets.values()):
                    form.add_error(None, unique_rule_message(error))
            else:
                messages.success(self.request, self.success_message)
                return HttpResponseRedirect(self.get_success_url())
        # A repeat whose first submission committed while this one was validated is refused by its
        # own unique fields (the name it is about to take): it goes to the record the first created.
        twin = versions.created_by_submission(self.model, reason) if reason else None
        if twin is not None:
            return HttpResponseRedirect(twin.get_absolute_url())
        if creating and getattr(self, "object", None) is not None and self.object.pk:
            # The save was rolled back: the form is a new record again, not an edit of a row that
            # does not exist.
            form.instance.pk, form.instance._state.adding, self.object = None, True, None
        context = self.get_context_data(form=form, formsets=formsets, **({"version": version} if version else {}))
        return self.render_to_response(context, status=409 if version else 200)

    def check_version(self, stored, form) -> None:
        versions.check(
            self.request.POST.get(versions.FIELD),
            versions.fingerprint(*self.stored_form_and_formsets(stored)),
            history=stored.history.all(),
            submitted=versions.posted_fingerprint(form),
        )

    def after_save(self, form, formsets) -> None:
        """Work that must happen once the object and its rows exist (a service call)."""

    def get_object_or_none(self):
        return None


class ObjectCreateView(ModelPermissionMixin, FormsetsMixin, CreateView):
    permission_action = "add"
    template_name = "generic/object_form.html"

    def get_formsets(self):
        self.object = getattr(self, "object", None)
        return super().get_formsets()


class ObjectEditView(ModelPermissionMixin, FormsetsMixin, UpdateView):
    permission_action = "change"
    template_name = "generic/object_form.html"

    def get_object_or_none(self):
        return self.get_object()


class ConfirmForm(forms.Form):
    """An action that needs nothing but a confirmation."""


class LifecycleActionView(ModelPermissionMixin, View):
    """A named lifecycle action on one record: a confirmation (or the form the action asks for) on
    GET, the service on POST, then a message and the record's page. Configured per model with its
    `lifecycle` and `perform`."""

    permission_action = "change"
    lifecycle = None
    template_name = "generic/lifecycle_action.html"

    def perform(self, obj, action: str, data: dict) -> str:
        raise NotImplementedError

    def get_form(self, obj, action: str, data=None) -> forms.Form:
        return ConfirmForm(data)

    def dispatch(self, request, *args, **kwargs):
        action = kwargs.get("action", "")
        if action not in self.lifecycle or not self.lifecycle[action].manual:
            raise Http404("No such action.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk: int, action: str):
        obj = get_object_or_404(self.model, pk=pk)
        return self.render(obj, action, self.get_form(obj, action))

    def post(self, request, pk: int, action: str):
        obj = get_object_or_404(self.model, pk=pk)
        form = self.get_form(obj, action, request.POST)
        if form.is_valid():
            try:
                result = self.perform(obj, action, form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, result)
                return HttpResponseRedirect(obj.get_absolute_url())
        return self.render(obj, action, form, status=400)

    def render(self, obj, action, form, status=200):
        context = {
            "object": obj,
            "action_label": self.lifecycle[action].label,
            "form": form,
            "allowed": self.lifecycle.allows(action, obj.status),
            "status_label": self.lifecycle.label(obj.status),
        }
        return render(self.request, self.template_name, context, status=status)
