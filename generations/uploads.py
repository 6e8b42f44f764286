"""The admin's upload form and page, shared by the three imports."""

from django import forms
from django.conf import settings
from django.template.response import TemplateResponse


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


def render_upload(request, admin_site, form, *, title: str, help_text: str):
    context = {
        **admin_site.each_context(request),
        "title": title,
        "form": form,
        "help_text": help_text,
    }
    return TemplateResponse(request, "admin/evalsite_upload.html", context)
