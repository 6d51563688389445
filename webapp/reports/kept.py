"""An outcomes file kept between two tries of the report form: when the form comes back with a problem, the
file already uploaded is kept (in the instance folder, under a random name, for its uploader only, for an
hour), so the analyst corrects the field and sends the form again without choosing the file again."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

KEEP_SECONDS = 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


@dataclass(frozen=True)
class KeptFile:
    token: str
    name: str
    content: bytes


def _folder(instance: Path) -> Path:
    folder = instance / "kept-outcomes"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _sweep(folder: Path, now: float) -> None:
    for path in folder.iterdir():
        try:
            if now - path.stat().st_mtime > KEEP_SECONDS:
                path.unlink()
        except OSError:
            pass


def keep(instance: Path, owner: str, name: str, content: bytes) -> str:
    """Store the file for `owner`; the token the form carries in a hidden field."""
    folder = _folder(instance)
    _sweep(folder, time.time())
    token = secrets.token_urlsafe(16)
    (folder / f"{token}.json").write_text(json.dumps({"owner": owner, "name": name[:255]}), encoding="utf-8")
    (folder / f"{token}.bin").write_bytes(content)
    return token


def take(instance: Path, owner: str, token: str) -> KeptFile | None:
    """The kept file for this token if `owner` kept it within the hour, else None."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    folder = _folder(instance)
    _sweep(folder, time.time())
    meta, data = folder / f"{token}.json", folder / f"{token}.bin"
    try:
        if time.time() - data.stat().st_mtime > KEEP_SECONDS:
            return None
        about = json.loads(meta.read_text(encoding="utf-8"))
        if about.get("owner") != owner:
            return None
        return KeptFile(token, str(about.get("name") or "outcomes"), data.read_bytes())
    except (OSError, ValueError):
        return None


def forget(instance: Path, token: str) -> None:
    if _TOKEN.fullmatch(token or ""):
        for suffix in (".json", ".bin"):
            (_folder(instance) / f"{token}{suffix}").unlink(missing_ok=True)
