"""Database URLs as they may be shown: the password masked, wherever it would appear."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "****"


def password_of(target: str) -> str | None:
    """The password a database URL carries, if any."""
    if "://" not in target:
        return None
    try:
        password = urlsplit(target).password
    except ValueError:
        return None
    return password or None


def masked(target: str) -> str:
    """The URL with its password replaced by ****; a path or password-less URL as given."""
    password = password_of(target)
    if password is None:
        return target
    parts = urlsplit(target)
    userinfo, _at, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{hostinfo}"))


def redacted(text: str, target: str | None) -> str:
    """`text` (an error message, say) with the target's password masked wherever it occurs."""
    password = password_of(target or "")
    if password is None:
        return text
    for form in {password, unquote(password)}:
        text = text.replace(form, MASK)
    return text
