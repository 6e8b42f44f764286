"""Login throttling (django-axes) and API throttles, as the settings name them."""

from __future__ import annotations

import logging

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' backend, for logins that come with a request.

    Every login form (the site's, the admin's, DRF's token view) passes the request.
    A call without one (a management command, the test client's ``login``) has no
    client address to count; django-axes would raise, this passes it on to the next
    backend instead.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind ``EVALSITE_PROXY_COUNT`` proxies
    the address the outermost of them saw (X-Forwarded-For, counted from the right,
    so that a client cannot choose its own address by sending the header)."""
    proxies = settings.EVALSITE_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


class _CacheOutageMixin:
    """Throttle counts live in the cache; when the cache is down, allow the request
    (and log a warning) rather than answer every API call with a 500."""

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            logger.warning("API throttle skipped, the cache is unavailable: %s", error)
            return True

    def get_rate(self) -> str | None:
        # DRF copies the rates when the class is defined; read them when used instead,
        # so that a changed setting (override_settings in a test) takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(_CacheOutageMixin, throttling.AnonRateThrottle):
    """DRF's anonymous-client throttle (rate ``anon``), open when the cache is down."""


class UserRateThrottle(_CacheOutageMixin, throttling.UserRateThrottle):
    """DRF's per-user throttle (rate ``user``), open when the cache is down."""


class MethodNotAllowedPageMiddleware:
    """Give Django's bare 405 (``require_POST`` and friends answer with an empty body)
    a short page that says what happened; the API's 405s already carry a message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if response.status_code != 405 or response.content:
            return response
        page = render(
            request,
            "405.html",
            {"method": request.method, "allowed": response.get("Allow", "")},
            status=405,
        )
        page["Allow"] = response.get("Allow", "")
        return page
