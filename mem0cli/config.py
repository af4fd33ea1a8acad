"""Settings, resolved in one place from arguments and environment variables."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

#: Two facts whose embeddings have at least this cosine are the same memory.
NEAR_DUPLICATE_COSINE = 0.92
#: A new fact this close to an older one with the same single-valued predicate replaces it.
SUPERSEDE_COSINE = 0.55

UPDATE_POLICIES = ("prefer-latest", "keep-both")
SECRET_POLICIES = ("redact", "keep")


def is_store_url(location: object) -> bool:
    """True for a PostgreSQL URL (``postgresql://`` or ``postgres://``): a team store."""
    return isinstance(location, str) and re.match(r"postgres(ql)?://", location) is not None


def pgvector_url(config: dict) -> str:
    """The URL of a Mem0 ``vector_store: {provider: "pgvector", config: {...}}`` section:
    its ``connection_string``, else one built from user, password, host, port and dbname."""
    from urllib.parse import quote

    if config.get("connection_string"):
        url = str(config["connection_string"])
        if not is_store_url(url):
            raise InputError("vector_store.config.connection_string must be a postgresql:// URL")
        return url
    user = quote(str(config.get("user") or ""), safe="")
    password = quote(str(config.get("password") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{int(config['port'])}" if config.get("port") else ""
    return f"postgresql://{auth}{config.get('host') or 'localhost'}{port}/{quote(str(config.get('dbname') or 'postgres'))}"


def default_home() -> Path:
    """The store directory: $MEM0CLI_HOME, else the XDG data dir."""
    env = os.environ.get("MEM0CLI_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "mem0cli"


@dataclass(frozen=True)
class Settings:
    """Where the store lives and which models and policies it uses."""

    home: Path
    llm_model: str | None = None  # path of a GGUF file; None: the bundled gemma3-270m
    embed_model: str | None = None  # sentence-transformers name or path; None: bundled MiniLM
    update_policy: str = "prefer-latest"
    secrets: str = "redact"  # redact: secrets never reach the store (`redact.py`); keep: no detection
    store_url: str | None = None  # a postgresql:// URL: the team store, instead of the directory
    graph: bool = False  # search blends the graph in: off, since bench/longmem.py measured no gain (README)

    def __post_init__(self) -> None:
        if self.update_policy not in UPDATE_POLICIES:
            raise InputError(f"update policy must be one of {', '.join(UPDATE_POLICIES)}, not {self.update_policy!r}")
        if self.secrets not in SECRET_POLICIES:
            raise InputError(f"secrets must be one of {', '.join(SECRET_POLICIES)}, not {self.secrets!r}")

    @classmethod
    def from_env(cls, home: str | Path | None = None) -> Settings:
        """Settings from explicit arguments, then MEM0CLI_* environment variables. `home` may
        be a PostgreSQL URL; $MEM0CLI_STORE_URL applies when no directory is given."""
        policy = os.environ.get("MEM0CLI_UPDATE_POLICY", "prefer-latest")
        if policy not in UPDATE_POLICIES:
            raise InputError(
                f"MEM0CLI_UPDATE_POLICY must be one of {', '.join(UPDATE_POLICIES)}, not {policy!r}"
            )
        secrets = os.environ.get("MEM0CLI_SECRETS", "redact")
        if secrets not in SECRET_POLICIES:
            raise InputError(f"MEM0CLI_SECRETS must be one of {', '.join(SECRET_POLICIES)}, not {secrets!r}")
        url = str(home) if is_store_url(str(home or "")) else None
        if url:
            home = None
        elif not home:
            url = os.environ.get("MEM0CLI_STORE_URL") or None
            if url and not is_store_url(url):
                raise InputError("MEM0CLI_STORE_URL must be a postgresql:// URL")
        return cls(
            store_url=url,
            home=Path(home).expanduser() if home else default_home(),
            llm_model=os.environ.get("MEM0CLI_LLM_MODEL") or None,
            embed_model=os.environ.get("MEM0CLI_EMBED_MODEL") or None,
            update_policy=policy,
            secrets=secrets,
            graph=_flag("MEM0CLI_GRAPH", False),
        )


def _flag(name: str, default: bool) -> bool:
    """An on/off environment variable: 1/true/on/yes or 0/false/off/no (InputError otherwise)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "on", "yes"):
        return True
    if value in ("0", "false", "off", "no"):
        return False
    raise InputError(f"{name} must be on or off, not {raw!r}")
