"""Test-only authentication backend: django-axes' check, except for Django's ``Client.login()``.

``Client.login()`` calls ``authenticate()`` without a request, which django-axes refuses
(``AxesBackendRequestParameterRequired``). Tests that want a logged-in user use ``force_login`` or
``client.login``; every login through a page (the admin's form) carries a request and is throttled
exactly as in production (archive.settings uses ``axes.backends.AxesStandaloneBackend`` itself).
"""

from axes.backends import AxesStandaloneBackend


class AxesBackendAllowingClientLogin(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
