"""Settings, resolved in one place from arguments and environment variables."""

from __future__ import annotations

import hashlib
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
EXTRACTION_MODES = ("auto", "judge", "generative")
#: Mem0 `llm.provider` names whose `config` points at a server rather than a GGUF file.
_SERVER_PROVIDERS = ("ollama", "lmstudio", "openai", "vllm", "llama_cpp_server")


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


def redacted(url: str) -> str:
    """A store URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def server_home(store: str | Path | None = None) -> Path:
    """Where `mem0cli serve` for a store keeps its socket, record and token: the store directory;
    for a team store (a postgresql:// URL given, or $MEM0CLI_STORE_URL when no store is given) a
    directory of its own under the local home, named by a hash of the URL without its password,
    so that the local store's server and a team store's never answer for each other."""
    given = str(store) if store else ""
    url = given if is_store_url(given) else (None if store else os.environ.get("MEM0CLI_STORE_URL"))
    if url:
        return default_home() / "servers" / hashlib.sha256(redacted(url).encode()).hexdigest()[:16]
    return Path(given).expanduser() if store else default_home()


@dataclass(frozen=True)
class Settings:
    """Where the store lives and which models and policies it uses."""

    home: Path
    llm_model: str | None = None  # path of a GGUF file (None: the bundled gemma3-270m); with llm_url, the
    # model's name at that endpoint
    llm_url: str | None = None  # an OpenAI-compatible server on this machine (endpoint.py): generative
    llm_allow_remote: bool = False  # let llm_url name another host
    llm_timeout: float = 120.0  # seconds an endpoint may take to answer one window
    llm_threads: int | None = None  # llama.cpp threads (None: all cores; 1 is far faster on a busy machine)
    extraction: str = "auto"  # auto | judge | generative (generative.choose_extractor)
    embed_model: str | None = None  # sentence-transformers name or path; None: bundled MiniLM
    update_policy: str = "prefer-latest"
    secrets: str = "redact"  # redact: secrets never reach the store (`redact.py`); keep: no detection
    store_url: str | None = None  # a postgresql:// URL: the team store, instead of the directory
    graph: bool = True  # search blends the graph in: on: no category measures lower with it (bench/longmem.py, README)

    def __post_init__(self) -> None:
        if self.update_policy not in UPDATE_POLICIES:
            raise InputError(f"update policy must be one of {', '.join(UPDATE_POLICIES)}, not {self.update_policy!r}")
        if self.secrets not in SECRET_POLICIES:
            raise InputError(f"secrets must be one of {', '.join(SECRET_POLICIES)}, not {self.secrets!r}")
        if self.extraction not in EXTRACTION_MODES:
            raise InputError(f"extraction must be one of {', '.join(EXTRACTION_MODES)}, not {self.extraction!r}")

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
        extraction = os.environ.get("MEM0CLI_EXTRACTION", "auto")
        if extraction not in EXTRACTION_MODES:
            raise InputError(f"MEM0CLI_EXTRACTION must be one of {', '.join(EXTRACTION_MODES)}, not {extraction!r}")
        timeout = os.environ.get("MEM0CLI_LLM_TIMEOUT", "120")
        try:
            llm_timeout = float(timeout)
        except ValueError:
            llm_timeout = -1.0
        if not llm_timeout > 0:
            raise InputError(f"MEM0CLI_LLM_TIMEOUT must be a number of seconds above 0, not {timeout!r}")
        threads = os.environ.get("MEM0CLI_LLM_THREADS") or None
        if threads is not None and not (threads.isdigit() and int(threads) > 0):
            raise InputError(f"MEM0CLI_LLM_THREADS must be a whole number above 0, not {threads!r}")
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
            llm_url=os.environ.get("MEM0CLI_LLM_URL") or None,
            llm_allow_remote=os.environ.get("MEM0CLI_LLM_ALLOW_REMOTE", "").lower() in ("1", "true", "yes"),
            llm_timeout=llm_timeout,
            llm_threads=int(threads) if threads else None,
            extraction=extraction,
            embed_model=os.environ.get("MEM0CLI_EMBED_MODEL") or None,
            update_policy=policy,
            secrets=secrets,
            graph=_flag("MEM0CLI_GRAPH", True),
        )


def llm_from_config(section: object) -> dict[str, str | None]:
    """Settings fields from a Mem0 `llm` config section: {"provider", "config": {"model", base url}}.

    A GGUF provider ("llama_cpp", or none) gives `llm_model`, a path; a server provider
    ("ollama", "lmstudio", "openai", ...) with a base URL gives `llm_url` and the model's
    name at it. The URL is checked (loopback only by default) when the extractor is made.
    """
    if not isinstance(section, dict):
        return {}
    inner = section.get("config") if isinstance(section.get("config"), dict) else {}
    provider = str(section.get("provider") or "llama_cpp").lower()
    out: dict[str, str | None] = {}
    if isinstance(inner.get("model"), str) and inner["model"]:
        out["llm_model"] = inner["model"]
    if provider in _SERVER_PROVIDERS:
        url = next((inner[k] for k in (f"{provider}_base_url", "base_url", "url") if inner.get(k)), None)
        if not url:
            raise InputError(f"llm provider {provider!r} needs config.base_url (a server on this machine)")
        out["llm_url"] = str(url)
    elif provider in ("llama_cpp", "llama-cpp", "gguf"):
        if out:
            out["llm_url"] = None  # a GGUF named here wins over MEM0CLI_LLM_URL
    else:
        raise InputError(f"llm provider {provider!r} is not supported offline: use llama_cpp (a GGUF path) "
                         f"or a local server ({', '.join(_SERVER_PROVIDERS)}) with config.base_url")
    return out


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
