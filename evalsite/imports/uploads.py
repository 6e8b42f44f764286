"""The admin's upload form and page, shared by every app's file imports."""

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from .reader import ImportFileError, ImportResult


class UploadForm(forms.Form):
    prompt_set = forms.CharField(max_length=200, help_text="The prompt set's name.")
    file = forms.FileField(help_text="JSONL or CSV.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.EVALSITE_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is over the size limit of {limit} bytes."
            )
        return upload


def upload_view(
    request,
    admin_site,
    form: UploadForm,
    *,
    run: Callable[[dict, object], ImportResult],
    success_url: str,
    title: str,
    help_text: str,
    background: Callable[[dict, object], dict | None] | None = None,
):
    """Show the form; on a valid POST run the import, then report its counts or errors.

    ``run(cleaned_data, upload)`` calls the import service; its line and field errors
    land on the form's file field, and nothing is stored. An upload over
    ``EVALSITE_BACKGROUND_IMPORT_BYTES`` goes to ``background(cleaned_data, upload)``,
    which queues it and returns its ``status_url``: the page then shows a progress
    bar, then the counts or the errors. When it returns None (no broker), the
    import runs in the request.
    """
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        large = upload.size > settings.EVALSITE_BACKGROUND_IMPORT_BYTES
        queued = background(form.cleaned_data, upload) if background and large else None
        if queued is not None:
            context = {
                **admin_site.each_context(request),
                "title": title,
                "file_name": upload.name,
                "status_url": queued["status_url"],
                "success_url": success_url,
            }
            return TemplateResponse(
                request, "admin/evalsite_import_progress.html", context
            )
        try:
            result = run(form.cleaned_data, upload)
        except ImportFileError as exc:
            for error in exc.listed:
                form.add_error("file", str(error))
        else:
            # A kind that changes stored rows (gold pairs) says how many.
            updated = result.details.get("updated")
            messages.success(
                request,
                # Not starting with the file's name: the admin capitalises a
                # message's first letter, which would misspell it.
                f"Imported {upload.name}: {result.created} created, "
                + ("" if updated is None else f"{updated} updated, ")
                + f"{result.unchanged} unchanged.",
            )
            return redirect(success_url)
    context = {
        **admin_site.each_context(request),
        "title": title,
        "form": form,
        "help_text": help_text,
    }
    # A refused upload is a 400, as the API's is (the page shows the same errors).
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request, "admin/evalsite_upload.html", context, status=status
    )
