"""API token authentication that remembers a token's user for a minute.

An annotator client sends its token with every click; looking it up costs a database
query (token joined with its user) per request. ``CachedTokenAuthentication`` keeps
the user of a valid token in the cache for ``EVALSITE_TOKEN_CACHE_SECONDS`` (60; 0
turns the cache off) under a digest of the token, never the token itself.

What would make a remembered user stale forgets it at once, through ``connect``'s
receivers: a token deleted or regenerated, and any change to its user (deactivated,
renamed, given or denied staff rights; saving ``last_login`` alone excepted), saved
or deleted through the ORM. A change made behind the ORM's back (raw SQL,
``QuerySet.update``) is seen within the cache time. An inactive user is refused as
by DRF's own class. When the cache fails (Redis down) the database answers.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

logger = logging.getLogger(__name__)


def _key(token_key: str) -> str:
    return "evalsite:token:" + hashlib.sha256(token_key.encode()).hexdigest()


def _seconds() -> int:
    return getattr(settings, "EVALSITE_TOKEN_CACHE_SECONDS", 60)


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's ``TokenAuthentication`` with the token's user cached (module doc)."""

    def authenticate_credentials(self, key: str):
        if _seconds() <= 0:
            return super().authenticate_credentials(key)
        try:
            user = cache.get(_key(key))
        except Exception as error:  # any cache failure: ask the database
            logger.warning("token cache unavailable: %r", error)
            return super().authenticate_credentials(key)
        if user is None:
            user, token = super().authenticate_credentials(key)
            _remember(key, user)
            return user, token
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, None


def _remember(key: str, user) -> None:
    try:
        cache.set(_key(key), user, _seconds())
    except Exception as error:
        logger.warning("token cache unavailable: %r", error)


def _forget(keys) -> None:
    keys = [_key(key) for key in keys]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception as error:
        logger.warning("token cache unavailable, not cleared: %r", error)


def _on_token_change(sender, instance: Token, **kwargs) -> None:
    if kwargs.get("created"):
        return  # a new token was never looked up
    keys = [instance.key]  # read now: a deleted row's key is cleared afterwards
    _forget(keys)
    transaction.on_commit(lambda: _forget(keys))


def _on_user_change(sender, instance, update_fields=None, **kwargs) -> None:
    if kwargs.get("created"):
        return  # a new user has no token yet
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    keys = list(Token.objects.filter(user_id=instance.pk).values_list("key", flat=True))
    _forget(keys)
    # Again after the commit: a request that read the old row meanwhile may have
    # stored it.
    transaction.on_commit(lambda: _forget(keys))


def connect() -> None:
    """Connect the receivers that forget changed tokens and users."""
    for signal in (post_save, post_delete):
        signal.connect(_on_token_change, sender=Token, dispatch_uid="evalsite:token")
        signal.connect(
            _on_user_change, sender=get_user_model(), dispatch_uid="evalsite:user"
        )
