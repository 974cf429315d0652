"""The one public form: a reader's report of an error in a letter."""

from django import forms


class ErrorReportForm(forms.Form):
    message = forms.CharField(
        label="What is wrong?",
        max_length=4000,
        min_length=5,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="E.g. a misread word, a wrong date or a person confused with another.",
    )
    email = forms.EmailField(label="Your email (optional)", required=False, max_length=254)
    # A honeypot: hidden from people (CSS and aria-hidden), filled in by bots.
    website = forms.CharField(label="Leave this field empty", required=False, max_length=200)

    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))
