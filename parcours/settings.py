"""One environment-driven settings file (after healthchecks' hc/settings.py).

Everything that differs between a laptop demo and a hospital deployment comes from the
environment: ``DATABASE_URL`` (SQLite by default), ``SECRET_KEY``, ``PARCOURS_ENV=production``,
``REDIS_URL`` for cross-process push through Redis instead of PostgreSQL LISTEN/NOTIFY,
``EMAIL_URL``-style settings for outgoing mail.
"""

import os
import secrets
from pathlib import Path

import dj_database_url


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent
# Runtime data (SQLite file, uploaded files) lives outside the package and outside any web root.
VAR_DIR = Path(env("PARCOURS_VAR_DIR", str(Path.cwd() / "var"))).resolve()

PRODUCTION = env("PARCOURS_ENV") == "production"
TESTING = env_bool("PARCOURS_TESTING")
# Off unless asked for, and never in production: Django's debug pages show settings and code,
# and keep every SQL statement in memory. The 404/500 pages are Parcours' French pages.
DEBUG = env_bool("DEBUG")
if PRODUCTION and DEBUG:
    raise RuntimeError("DEBUG must be off when PARCOURS_ENV=production")


def _local_secret_key() -> str:
    """Outside production without SECRET_KEY: a random key made once per installation and kept
    in VAR_DIR (mode 0600), so no two installations share one and none is in the repository.
    The test suite uses a fixed key: its server subprocesses must sign sessions alike."""
    if TESTING:
        return "test-only-key-parcours-" + "0" * 40

    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY") or ("" if PRODUCTION else _local_secret_key())
if PRODUCTION and len(SECRET_KEY) < 50:
    raise RuntimeError("SECRET_KEY must be set (50+ characters) when PARCOURS_ENV=production")

ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o]
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_zxcvbn_password_validator",  # its French messages (locale)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "parcours.core",
    "parcours.accounts",
    "parcours.audit",
    "parcours.directory",
    "parcours.patients",
    "parcours.referrals",
    "parcours.scheduling",
    "parcours.messaging",
    "parcours.labs",
    "parcours.records",
    "parcours.proximity",
    "parcours.notifications",
    "parcours.indicators",
    "parcours.oncall",
    "parcours.spaces",
    "parcours.fhir",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # user.is_verified(): the second factor of this session (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "parcours.audit.context.RequestContextMiddleware",
    "parcours.core.middleware.IdleTimeoutMiddleware",
    # The authentication policy per role: PSC or a second factor before any page
    # (docs/authentication.md).
    "parcours.accounts.middleware.StrongAuthenticationMiddleware",
    # Opening a page marks the notifications leading to it read (notifications area).
    "parcours.notifications.middleware.ReadOnOpenMiddleware",
    # Must stay last: it reads the authentication result of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "parcours.urls"
WSGI_APPLICATION = "parcours.wsgi.application"
ASGI_APPLICATION = "parcours.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "parcours.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'parcours.sqlite3'}",
        conn_max_age=int(env("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server and the worker read while the other writes; the timeout makes
    # concurrent writers wait instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool("DB_POOL", True):
    # A connection pool per process (psycopg_pool): measured to halve PostgreSQL CPU per
    # request against a new connection each time, and safe under ASGI where persistent
    # connections (CONN_MAX_AGE) would leak (docs/benchmarks.md). Keep processes × max_size
    # below PostgreSQL's max_connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": int(env("DB_POOL_MIN", "1")),
            "max_size": int(env("DB_POOL_MAX", "8")),
            "timeout": float(env("DB_POOL_TIMEOUT", "10")),
        }
    }
if env("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Strength as an attacker would guess it (dictionaries, names, keyboard patterns, dates):
    # zxcvbn's score 0–4, at least 3 ("safely unguessable: moderate protection from offline
    # slow-hash scenario"), with the platform's own words as a dictionary.
    {"NAME": "django_zxcvbn_password_validator.ZxcvbnPasswordValidator"},
]
PASSWORD_MINIMAL_STRENGTH = 3
PASSWORD_EXTRA_DICTIONARY = [
    "parcours",
    "hopital",
    "medecin",
    "cellule",
    "patient",
    "laval",
    "mayenne",
    "sante",
]

# Login throttling (django-axes): 5 failures lock the (username, IP) pair for 15 minutes, and
# 5 failures on one account from any addresses lock that account too (password guessing from
# rotating addresses). The client address is REMOTE_ADDR, which uvicorn takes from
# X-Forwarded-For only when the connection comes from FORWARDED_ALLOW_IPS (the reverse proxy;
# docs/operations.md): a header sent by anyone else is ignored.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
FORWARDED_ALLOW_IPS = env("FORWARDED_ALLOW_IPS", "127.0.0.1")
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing root
# Uploaded files: outside the web root, never served by URL; only through an access-checked view.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = None
UPLOAD_MAX_BYTES = int(env("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
# A file on disk that no row names after this long was left by an action that never committed
# (the worker removes it: core/files.py).
MEDIA_ORPHAN_HOURS = float(env("MEDIA_ORPHAN_HOURS", "6"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# E-mail: console in development, SMTP configured by environment in production.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Parcours <ne-pas-repondre@parcours.invalid>")

# Live push between server processes: "postgres" (LISTEN/NOTIFY), "redis" or "local" (polling
# the notification table, the only choice on SQLite). Chosen from the database by default.
REDIS_URL = env("REDIS_URL")
PUSH_BACKEND = env("PUSH_BACKEND") or (
    "redis"
    if REDIS_URL
    else "postgres"
    if DATABASES["default"]["ENGINE"].endswith("postgresql")
    else "local"
)
PUSH_POLL_SECONDS = float(env("PUSH_POLL_SECONDS", "1.0"))
PUSH_KEEPALIVE_SECONDS = float(env("PUSH_KEEPALIVE_SECONDS", "20"))

# The 48-hour clock: default delay, share of it after which a request is "at risk".
SLA_DEFAULT_HOURS = int(env("SLA_DEFAULT_HOURS", "48"))
SLA_AT_RISK_FRACTION = float(env("SLA_AT_RISK_FRACTION", "0.75"))
WORKER_INTERVAL_SECONDS = float(env("WORKER_INTERVAL_SECONDS", "15"))
# Outboxes (notification e-mails, the secure-messaging gateway): a failed delivery is retried
# with growing, jittered delays for this long after the message was written; then the sender
# (gateway) and the territory administrators are told, in the application.
OUTBOX_RETRY_HOURS = float(env("OUTBOX_RETRY_HOURS", "24"))
# How long a « bris de glace » (emergency access to a patient's data without a recorded care
# relationship) stays open (patients/services.emergency_access_open).
EMERGENCY_ACCESS_HOURS = float(env("EMERGENCY_ACCESS_HOURS", "24"))

# Link to the patient's DMP / Mon espace santé (a deployment sets its own portal URL).
DMP_URL_TEMPLATE = env("DMP_URL_TEMPLATE", "https://www.monespacesante.fr/")
# The imaging centre's result server (images viewer); {accession} is the study's number.
IMAGING_RESULTS_URL = env("IMAGING_RESULTS_URL", "")

SESSION_COOKIE_AGE = 8 * 3600  # a working day at most, whatever the activity
# Signed out after this many minutes without a request of one's own (live updates of an open
# page do not count): a workstation left open in a consulting room (core/middleware.py).
SESSION_IDLE_MINUTES = float(env("SESSION_IDLE_MINUTES", "30"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    WHITENOISE_USE_FINDERS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # aiosmtpd (the mail bridge) logs every SMTP command at INFO.
    "loggers": {"axes": {"level": "WARNING"}, "mail.log": {"level": "WARNING"}},
}

# Secure messaging. MESSAGING_KEYS: comma-separated Fernet keys, the first encrypts, all decrypt
# (rotation: put a new key first, run `parcours rotate-keys`, then drop the old one). Derived
# from SECRET_KEY only outside production.
MESSAGING_KEYS = [k.strip() for k in env("MESSAGING_KEYS", "").split(",") if k.strip()]
if not MESSAGING_KEYS:
    if PRODUCTION:
        raise RuntimeError("MESSAGING_KEYS must be set when PARCOURS_ENV=production")
    import base64 as _b64
    import hashlib as _hl

    MESSAGING_KEYS = [
        _b64.urlsafe_b64encode(
            _hl.sha256(f"parcours:messaging:{SECRET_KEY}".encode()).digest()
        ).decode()
    ]
MESSAGING_SEARCH_KEY = env("MESSAGING_SEARCH_KEY", "") or f"search:{SECRET_KEY}"
# The external secure-messaging relay (an MSSanté operator's SMTP), for mail to addresses
# outside Parcours; and the domain of our own addresses (incoming bridge).
MSS_SMTP_HOST = env("MSS_SMTP_HOST", "localhost")
MSS_SMTP_PORT = int(env("MSS_SMTP_PORT", "25"))
MSS_SMTP_USER = env("MSS_SMTP_USER", "")
MSS_SMTP_PASSWORD = env("MSS_SMTP_PASSWORD", "")
MSS_SMTP_TLS = env_bool("MSS_SMTP_TLS")
MSS_DOMAIN = env("MSS_DOMAIN", "parcours.mssante.invalid")
# --- messaging (issue 14, bug 8): external recipients must be secure health-messaging
# (MSSanté) addresses. MSSANTE_DOMAINS: comma-separated domains, « *.x » for any sub-domain of
# x. Outside production and unless set, the demo's reserved « *.mssante.invalid » is accepted
# too (no mail can reach a .invalid name). docs/operations.md, "Secure messaging".
MSSANTE_DOMAINS = [
    d.strip().lower() for d in env("MSSANTE_DOMAINS", "*.mssante.fr").split(",") if d.strip()
]
if not PRODUCTION and not env("MSSANTE_DOMAINS"):
    MSSANTE_DOMAINS.append("*.mssante.invalid")
# Discharge letters: due this many hours after discharge; alert when this many are left.
DISCHARGE_LETTER_HOURS = 48
DISCHARGE_LETTER_ALERT_HOURS = 12
# Memory PostgreSQL may use per sort or hash while the national directory import merges its
# two million rows (one session, during the import only): with less, the sorts spill to disk
# (docs/benchmarks.md, Directory).
ANNUAIRE_WORK_MEM = env("ANNUAIRE_WORK_MEM", "1GB")
# Audit trail (parcours/audit, docs/operations.md "Audit trail"). AUDIT_SIGNING_KEY: the
# Ed25519 private key (32 bytes, base64) that signs the sealer's checkpoints; required in
# production, derived from SECRET_KEY otherwise. AUDIT_VERIFY_KEYS: comma-separated public keys
# (base64) of retired signing keys, so that old checkpoints still verify after a rotation.
# AUDIT_CHECKPOINT_FILE: JSON-lines file where every checkpoint is also appended (put it where
# the database owner cannot rewrite it); AUDIT_CHECKPOINT_SYSLOG: "/dev/log" or "host:port".
# AUDIT_SEAL_GRACE: seconds an audited transaction may stay open; a row older than that when
# it is sealed (or still unsealed) is reported by audit_verify. AUDIT_ASYNC_READS=1: a row written
# alone in its transaction (a read) commits without waiting for the disk (PostgreSQL
# synchronous_commit off for that transaction only).
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY", "")
if not AUDIT_SIGNING_KEY:
    if PRODUCTION:
        raise RuntimeError("AUDIT_SIGNING_KEY must be set when PARCOURS_ENV=production")
    import base64 as _b64
    import hashlib as _hl

    AUDIT_SIGNING_KEY = _b64.b64encode(
        _hl.sha256(f"parcours:audit:{SECRET_KEY}".encode()).digest()
    ).decode()
AUDIT_VERIFY_KEYS = [k.strip() for k in env("AUDIT_VERIFY_KEYS", "").split(",") if k.strip()]
AUDIT_CHECKPOINT_FILE = env("AUDIT_CHECKPOINT_FILE", "") or (
    "" if TESTING else str(VAR_DIR / "audit-checkpoints.jsonl")
)
AUDIT_CHECKPOINT_SYSLOG = env("AUDIT_CHECKPOINT_SYSLOG", "")
AUDIT_SEAL_GRACE = int(env("AUDIT_SEAL_GRACE", "900"))
AUDIT_ASYNC_READS = env_bool("AUDIT_ASYNC_READS")
# Always off here; only bench/settings_bench.py (benchmarks, refused in production) turns it on.
AUDIT_BENCH_OFF = False

# --- Authentication (docs/authentication.md) ---
# Pro Santé Connect. PSC_ENV picks the ANS issuer ("production" or "bas", the sandbox);
# PSC_ISSUER overrides it (the demo's local provider). No client id: the PSC button is hidden.
PSC_ISSUERS = {
    "production": "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet",
    "bas": "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet",
}
PSC_ENV = env("PSC_ENV", "production")
PSC_ISSUER = env("PSC_ISSUER", "") or (PSC_ISSUERS.get(PSC_ENV, "") if env("PSC_CLIENT_ID") else "")
# PSC serves its discovery document at a non-standard path.
PSC_DISCOVERY_URL = env("PSC_DISCOVERY_URL", "") or (
    f"{PSC_ISSUER.rstrip('/')}/.well-known/wallet-openid-configuration" if PSC_ISSUER else ""
)
PSC_CLIENT_ID = env("PSC_CLIENT_ID", "")
if PSC_ISSUER:
    # The explicit PSC logout is a form posted here and redirected to PSC's end-session
    # endpoint: CSP's form-action covers that redirect.
    from urllib.parse import urlsplit as _urlsplit

    _psc = _urlsplit(PSC_ISSUER)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(f"{_psc.scheme}://{_psc.netloc}")
PSC_CLIENT_SECRET = env("PSC_CLIENT_SECRET", "")
PSC_SCOPE = env("PSC_SCOPE", "openid scope_all")
PSC_ACR_VALUES = env("PSC_ACR_VALUES", "eidas1")
# Our private key (a JWK, JSON) when PSC encrypts the userinfo (JWE) to us.
PSC_USERINFO_DECRYPTION_KEY = env("PSC_USERINFO_DECRYPTION_KEY", "")
PSC_LEEWAY_SECONDS = int(env("PSC_LEEWAY_SECONDS", "60"))
PSC_TIMEOUT_SECONDS = float(env("PSC_TIMEOUT_SECONDS", "10"))
# Who may sign in how, per role: "psc" (Pro Santé Connect only), "otp" (PSC, or password and
# a second factor), "password" (password alone allowed; a second factor is asked if the
# person enrolled one). AUTH_POLICY: "strict" (doctors and imaging through PSC, every other
# role password + second factor; the production default), "otp" (second factor for every
# password account), or "relaxed" (the tests' and demo's default). AUTH_POLICY_ROLES:
# "role=method,…" overrides single roles.
AUTH_POLICY = env("AUTH_POLICY", "strict" if PRODUCTION else "relaxed")
AUTH_POLICY_ROLES = dict(
    item.split("=", 1) for item in env("AUTH_POLICY_ROLES", "").split(",") if "=" in item
)
# Lifetime of a FHIR API token obtained through OAuth 2 client credentials (fhir/oauth.py).
OAUTH_TOKEN_SECONDS = int(env("OAUTH_TOKEN_SECONDS", "3600"))
# The issuer name shown in authenticator apps (TOTP).
OTP_TOTP_ISSUER = "Parcours"
