"""Credential slips waiting for their one download (issue 15.5).

«Выдать логины» answers with the list (its new state: «выдан») and a link to the slips, not with the file
itself: the workbook is kept here until the user who issued the logins takes it, once. Each file is named and
enciphered by a random token that only the issuer's session holds (`store` returns it, `take` needs it): the
file's name is a hash of the token and the issuer's id, its bytes are XORed with a SHAKE-256 key stream of the
token, so the file alone (a copy of the instance folder) gives no password. `take` claims the file by renaming
it (two clicks at once: one gets it) and deletes it; a file not taken within KEEP_SECONDS is deleted by the next
`store` or `take`. The directory: config SLIPS_DIR, by default instance/slips.
"""
import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app

from services import clock

KEEP_SECONDS = 15 * 60
SUFFIX = ".slips"


def _folder():
    folder = Path(current_app.config.get("SLIPS_DIR") or Path(current_app.instance_path) / "slips")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _path(user_id, token):
    name = hashlib.sha256(f"slips-name:{int(user_id)}:{token}".encode()).hexdigest()
    return _folder() / f"{name}{SUFFIX}"


def _cipher(data, token):
    """XOR with the token's SHAKE-256 key stream: the same call enciphers and deciphers."""
    if not data:
        return data
    stream = hashlib.shake_256(f"slips-key:{token}".encode()).digest(len(data))
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


def _purge(folder):
    """Slips never taken: gone after KEEP_SECONDS."""
    oldest = clock.timestamp() - KEEP_SECONDS
    for path in folder.glob(f"*{SUFFIX}*"):
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
        except FileNotFoundError:
            pass  # taken or purged meanwhile


def store(user_id, data):
    """Keep `data` (the slips' workbook) for `user_id`; returns the token his session keeps for `take`."""
    folder = _folder()
    _purge(folder)
    token = secrets.token_urlsafe(32)
    path = _path(user_id, token)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(_cipher(data, token))
    now = clock.timestamp()
    os.utime(path, (now, now))
    return token


def take(user_id, token):
    """The slips kept for this user under this token, once; None if taken already, expired or not his."""
    if not token or not isinstance(token, str):
        return None
    path = _path(user_id, token)
    claimed = path.with_name(f"{path.name}.{secrets.token_hex(8)}")
    try:
        os.replace(path, claimed)
    except FileNotFoundError:
        return None
    try:
        fresh = claimed.stat().st_mtime >= clock.timestamp() - KEEP_SECONDS
        data = claimed.read_bytes()
    finally:
        claimed.unlink()
    _purge(claimed.parent)
    return _cipher(data, token) if fresh else None
