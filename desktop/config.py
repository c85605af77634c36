"""Paths (platformdirs) and connection profiles.

Profiles live in a small JSON file in the user config dir. They hold a name, a kind
and a base URL, never credentials: API keys and secrets live in the keyring
(``desktop.secrets``). Everything here is usable before Qt exists.

Set ``OMS_DESK_HOME`` to put config, data, logs and QSettings under one directory
(tests and portable use).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from desktop.rules import is_loopback_host  # light: stdnum comes when a number is checked

APP_NAME = "oms-desk"
APP_AUTHOR = "OMS Desk"
PROFILES_FILE = "profiles.json"

OMS_SANDBOX_URL = "https://sandbox-api.polygon.technology/v0.9"
OMS_PRODUCTION_URL = "https://api.polygon.technology/v0.9"
EMBEDDED_PROFILE_NAME = "Embedded sandbox"


# ----------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @property
    def profiles_file(self) -> Path:
        return self.config_dir / PROFILES_FILE

    @property
    def sandbox_dir(self) -> Path:
        return self.data_dir / "sandbox"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "oms-desk.log"

    @property
    def qsettings_file(self) -> Path:
        return self.config_dir / "window.ini"

    def ensure(self) -> Paths:
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
            try:
                os.chmod(d, 0o700)
            except OSError:  # pragma: no cover - e.g. a shared dir we do not own
                pass
        return self


def default_paths() -> Paths:
    home = os.environ.get("OMS_DESK_HOME")
    if home:
        base = Path(home)
        return Paths(base / "config", base / "data", base / "logs")
    import platformdirs  # not needed when OMS_DESK_HOME is set (tests, benchmarks)

    return Paths(
        Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
        Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
    )


# -------------------------------------------------------------------------- profiles


class ProfileKind(StrEnum):
    EMBEDDED = "embedded"
    OMS_SANDBOX = "oms-sandbox"
    OMS_PRODUCTION = "oms-production"
    CUSTOM = "custom"
    TEAM_SANDBOX = "team-sandbox"  # a shared sandbox server of the team (D24)


KIND_LABELS = {
    ProfileKind.EMBEDDED: "Embedded sandbox (this computer)",
    ProfileKind.OMS_SANDBOX: "OMS sandbox",
    ProfileKind.OMS_PRODUCTION: "OMS production",
    ProfileKind.CUSTOM: "Custom URL",
    ProfileKind.TEAM_SANDBOX: "Team sandbox (shared server)",
}
TRUSTED_LAN_WARNING = (
    "Team sandbox over plain http on a trusted LAN: the API secret and all data cross the "
    "network unencrypted. Use https (--tls-cert, or a reverse proxy) when you can."
)


class Environment(StrEnum):
    SANDBOX = "SANDBOX"
    PRODUCTION = "PRODUCTION"


class ProfileError(ValueError):
    """A profile that must not be saved; ``field`` names the offending field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Profile:
    name: str
    kind: ProfileKind
    base_url: str = ""
    #: For custom URLs only: whether the server moves real money.
    production: bool = False
    #: For embedded profiles: the sandbox data dir ("" = the default one).
    data_dir: str = ""
    #: For team sandboxes only: plain http to a host other than this computer is accepted
    #: (a trusted LAN); the app keeps a warning up while it is used.
    trusted_lan: bool = False

    @property
    def url(self) -> str:
        if self.kind is ProfileKind.OMS_SANDBOX:
            return OMS_SANDBOX_URL
        if self.kind is ProfileKind.OMS_PRODUCTION:
            return OMS_PRODUCTION_URL
        return self.base_url.rstrip("/")

    @property
    def environment(self) -> Environment:
        if self.kind is ProfileKind.OMS_PRODUCTION or (
            self.kind is ProfileKind.CUSTOM and self.production
        ):
            return Environment.PRODUCTION
        return Environment.SANDBOX

    @property
    def is_sandbox(self) -> bool:
        return self.environment is Environment.SANDBOX

    @property
    def insecure_http(self) -> bool:
        """A team sandbox reached over plain http beyond this computer (warn while used)."""
        parts = urlsplit(self.url)
        return (
            self.kind is ProfileKind.TEAM_SANDBOX
            and parts.scheme == "http"
            and not is_loopback_host(parts.hostname or "")
        )

    @property
    def needs_credentials(self) -> bool:
        """Embedded profiles read credentials from the sandbox's data dir."""
        return self.kind is not ProfileKind.EMBEDDED

    def validate(self) -> Profile:
        if not self.name.strip():
            raise ProfileError("A profile needs a name.", "name")
        if len(self.name) > 80:
            raise ProfileError("Keep the name under 80 characters.", "name")
        if self.kind is ProfileKind.CUSTOM:
            parts = urlsplit(self.base_url.strip())
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ProfileError("Enter a URL such as https://host/v0.9.", "base_url")
            if self.environment is Environment.PRODUCTION and parts.scheme != "https":
                raise ProfileError("A production server must use https://.", "base_url")
            if parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
                raise ProfileError("Plain http:// is allowed only for this computer.", "base_url")
        if self.kind is ProfileKind.TEAM_SANDBOX:
            parts = urlsplit(self.base_url.strip())
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ProfileError(
                    "Enter the team sandbox URL, https://host:port/v0.9.", "base_url"
                )
            if (
                parts.scheme == "http"
                and not is_loopback_host(parts.hostname or "")
                and not self.trusted_lan
            ):
                raise ProfileError(
                    "A team sandbox needs https:// (plain http:// only on this computer, or"
                    " tick 'Trusted LAN').",
                    "base_url",
                )
        return self

    def to_json(self) -> dict:
        d = asdict(self)
        d["kind"] = str(self.kind)
        return d

    @classmethod
    def from_json(cls, d: dict) -> Profile:
        return cls(
            name=str(d.get("name", "")),
            kind=ProfileKind(d.get("kind", ProfileKind.CUSTOM)),
            base_url=str(d.get("base_url", "")),
            production=bool(d.get("production", False)),
            data_dir=str(d.get("data_dir", "")),
            trusted_lan=bool(d.get("trusted_lan", False)),
        )


def embedded_profile(data_dir: str | Path = "") -> Profile:
    return Profile(EMBEDDED_PROFILE_NAME, ProfileKind.EMBEDDED, data_dir=str(data_dir))


@dataclass
class ProfileStore:
    """The profiles file: a list of profiles and the name of the active one."""

    path: Path
    profiles: list[Profile] = field(default_factory=list)
    active: str | None = None

    @classmethod
    def load(cls, path: Path) -> ProfileStore:
        store = cls(path)
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            for item in data.get("profiles", []):
                try:
                    store.profiles.append(Profile.from_json(item))
                except (ValueError, TypeError):
                    continue
            store.active = data.get("active")
        return store

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(
            {"version": 1, "active": self.active, "profiles": [p.to_json() for p in self.profiles]},
            indent=2,
        )
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".profiles.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(body)
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)

    def names(self) -> list[str]:
        return [p.name for p in self.profiles]

    def upsert(self, profile: Profile, *, old_name: str | None = None) -> None:
        profile.validate()
        key = old_name or profile.name
        if profile.name != key and self.get(profile.name) is not None:
            raise ProfileError(f"A profile named {profile.name!r} already exists.", "name")
        for i, p in enumerate(self.profiles):
            if p.name == key:
                self.profiles[i] = profile
                if self.active == key:
                    self.active = profile.name
                return
        self.profiles.append(profile)

    def remove(self, name: str) -> None:
        self.profiles = [p for p in self.profiles if p.name != name]
        if self.active == name:
            self.active = None  # opens the embedded sandbox, never some other saved profile

    def active_profile(self) -> Profile:
        """The operator's last explicit choice, the embedded sandbox included.

        Anything else — no choice yet, a name that is gone — opens the embedded sandbox:
        never a guess among the saved profiles, which may be PRODUCTION.
        """
        if self.active:
            p = self.get(self.active)
            if p is not None:
                return p
            if self.active == EMBEDDED_PROFILE_NAME:
                return embedded_profile()
        return embedded_profile()


def resolve_profile(store: ProfileStore, name: str | None, sandbox_data: str | None) -> Profile:
    """The profile to open: ``--profile NAME``, else the active one, else embedded."""
    if name:
        p = store.get(name)
        if p is None:
            raise ProfileError(
                f"No profile named {name!r} (have: {', '.join(store.names()) or '-'})"
            )
        return p
    if sandbox_data:
        return embedded_profile(sandbox_data)
    return store.active_profile()


__all__ = [
    "EMBEDDED_PROFILE_NAME",
    "KIND_LABELS",
    "OMS_PRODUCTION_URL",
    "OMS_SANDBOX_URL",
    "TRUSTED_LAN_WARNING",
    "Environment",
    "Paths",
    "Profile",
    "ProfileError",
    "ProfileKind",
    "ProfileStore",
    "default_paths",
    "embedded_profile",
    "replace",
    "resolve_profile",
]
