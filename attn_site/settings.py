"""Settings for ATTN, all read from the environment (see .env.example)."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = env.bool("PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=False)
# The development key is public (it is in this file and .env.example): production refuses it.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "csp",
    "django_q",
    "accounts",
    "attendance",
    "adminpanel",
    "lti_tool",
    "lti",
]

MIDDLEWARE = [
    "attn_site.middleware.HealthProbeMiddleware",
    "attn_site.middleware.NulCharacterMiddleware",
    "attn_site.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "attn_site.middleware.ContentSecurityPolicyMiddleware",
    "attn_site.middleware.PermissionsPolicyMiddleware",
    "attn_site.middleware.ServiceUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lti.middleware.LmsFrameMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "attn_site.middleware.PrivatePagesMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# Scripts only from our own static files (no inline scripts or handlers, no eval); inline
# style attributes are allowed (the templates use a few; htmx's indicator styles are off).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],  # blob: the selfie's preview before it is uploaded
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The browser features a page may use: location and the camera for check-ins, on this site only.
PERMISSIONS_POLICY = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), interest-cohort=()"

ROOT_URLCONF = "attn_site.urls"
WSGI_APPLICATION = "attn_site.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@localhost:5432/attn")}
# A Unix socket directory may come percent-encoded as the URL's host.
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
# Through a transaction-pooling PgBouncer (DB_TRANSACTION_POOLING=true): a transaction may land on any
# server connection, so no server-side prepared statements (psycopg prepares a query run five times)
# and no cursors outlive a transaction (Django's iterator() keeps one open in autocommit).
DB_TRANSACTION_POOLING = env.bool("DB_TRANSACTION_POOLING", default=False)
if DB_TRANSACTION_POOLING:
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Live attendance state may live on its own Redis (noeviction + AOF); same server by default.
LIVE_REDIS_URL = env.str("LIVE_REDIS_URL", default="") or REDIS_URL
# Every live key starts with this (the tests give each test its own).
LIVE_KEY_PREFIX = env.str("LIVE_KEY_PREFIX", default="attn")

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "attn-cache",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
        },
    },
    # Live attendance state (attendance/live.py uses its raw client, never the cache API).
    "live": {
        "BACKEND": "django_redis.cache.RedisCache",
        # django-redis shares one pool per URL: the client name makes this URL, and so its pool, its own
        # (and names the connections in CLIENT LIST).
        "LOCATION": LIVE_REDIS_URL + ("&" if "?" in LIVE_REDIS_URL else "?") + "client_name=attn-live",
        "KEY_PREFIX": "attn-live",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 5,
            "CONNECTION_POOL_KWARGS": {"health_check_interval": 30},
        },
    },
}

# Redis through Sentinel (a primary, replicas, failover without a restart): every alias above — the
# cache and login sessions, the live state, the task broker (Q_CLUSTER uses "default") — asks the
# sentinels for the current primary of REDIS_SENTINEL_SERVICE.
REDIS_SENTINELS = env.list("REDIS_SENTINELS", default=[])  # host:port of each sentinel
REDIS_SENTINEL_SERVICE = env.str("REDIS_SENTINEL_SERVICE", default="attn")
REDIS_SENTINEL_DB = env.int("REDIS_SENTINEL_DB", default=0)
if REDIS_SENTINELS:
    for _alias, _cache in CACHES.items():
        _name = "?client_name=attn-live" if _alias == "live" else ""  # its own pool, as above
        _cache["LOCATION"] = f"redis://{REDIS_SENTINEL_SERVICE}/{REDIS_SENTINEL_DB}{_name}"
        _cache["OPTIONS"].update(
            CLIENT_CLASS="django_redis.client.SentinelClient",
            CONNECTION_FACTORY="django_redis.pool.SentinelConnectionFactory",
            SENTINELS=[(host, int(port)) for host, port in (s.rsplit(":", 1) for s in REDIS_SENTINELS)],
        )
# The live state on a Redis Cluster (host:port of some of its nodes; redis-py's cluster client finds the
# rest and follows its failovers). The cache, login sessions and task broker stay on REDIS_URL (or Sentinel).
LIVE_REDIS_CLUSTER_NODES = env.list("LIVE_REDIS_CLUSTER_NODES", default=[])
# A check-in is acknowledged to the student only once this many replicas hold it (Redis's WAIT, up to
# CHECKIN_REPLICA_WAIT_MS); otherwise they are asked to try again. 0 (one Redis): once the primary has it.
CHECKIN_REPLICA_ACKS = env.int("CHECKIN_REPLICA_ACKS", default=1 if REDIS_SENTINELS else 0)
CHECKIN_REPLICA_WAIT_MS = env.int("CHECKIN_REPLICA_WAIT_MS", default=500)

SESSION_ENGINE = "attn_site.sessions"
SESSION_CACHE_ALIAS = "default"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The language switch's cookie: only the server reads it (no script), sent over HTTPS only in production.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Login session lifetime by role, in seconds.
# Invitation links for users without a password (roster import) stay valid this long.
PASSWORD_RESET_TIMEOUT = env.int("INVITATION_DAYS", default=14) * 86400
TEACHER_SESSION_TTL = env.int("TEACHER_SESSION_TTL", default=12 * 3600)
STUDENT_SESSION_TTL = env.int("STUDENT_SESSION_TTL", default=14 * 24 * 3600)
ADMIN_SESSION_TTL = env.int("ADMIN_SESSION_TTL", default=2 * 3600)
SESSION_COOKIE_AGE = STUDENT_SESSION_TTL

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.throttle.SlowGuessingBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    # It reads every argon2 hash (the parameters are in the hash) and upgrades other costs at login;
    # Django's own Argon2 hasher must not be listed beside it (same algorithm name).
    "accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# University single sign-on (OpenID Connect, accounts/sso.py): off unless OIDC_ISSUER is set.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_SCOPES = env.str("OIDC_SCOPES", default="openid profile")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="your university")  # "Sign in with …"
OIDC_NUMBER_CLAIM = env.str("OIDC_NUMBER_CLAIM", default="school_number")  # the claim holding the school number
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="roles")  # a string or a list of them
OIDC_TEACHER_VALUES = env.list("OIDC_TEACHER_VALUES", default=["teacher"])  # role claim values that mean teacher
OIDC_STAFF_VALUES = env.list("OIDC_STAFF_VALUES", default=[])  # empty: SSO never makes an administrator
OIDC_CREATE_ROLES = env.list("OIDC_CREATE_ROLES", default=[])  # roles whose unknown users are created (student…)
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
OIDC_LEEWAY = env.int("OIDC_LEEWAY", default=60)  # seconds of clock difference allowed on the ID token's times
if OIDC_ISSUER:
    # "Log out" posts here and is sent on to the provider's end-session page: the form may go there.
    _issuer = urlsplit(OIDC_ISSUER)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(f"{_issuer.scheme}://{_issuer.netloc}")
# LTI 1.3 launches from an LMS (lti/): platforms are registered in the admin. The claim holding the school
# number: a claim's name, or "name#key" for a key inside it (Moodle's ID number is lis#person_sourcedid).
LTI_NUMBER_CLAIM = env.str("LTI_NUMBER_CLAIM", default="https://purl.imsglobal.org/spec/lti/claim/lis#person_sourcedid")
LTI_CREATE_ROLES = env.list("LTI_CREATE_ROLES", default=["student", "teacher"])  # unknown numbers get an account
LTI_STAFF_ROLES = env.list("LTI_STAFF_ROLES", default=[])  # LTI roles that make an administrator; empty: never
LTI_FRAME_ANCESTORS = env.list("LTI_FRAME_ANCESTORS", default=[])  # more origins that may frame ATTN (a Canvas)
LTI_TIMEOUT = env.int("LTI_TIMEOUT", default=10)  # seconds for each call to a platform (keys, tokens, rosters)
LTI_NONCE_TTL = env.int("LTI_NONCE_TTL", default=86400)  # a launch's nonce is refused again for this long
# Rosters from the LMS (NRPS): the member's field with the school number (else the account a launch linked),
# and how often every linked course is synced (an instructor's launch syncs its course too).
LTI_MEMBER_NUMBER_FIELD = env.str("LTI_MEMBER_NUMBER_FIELD", default="lis_person_sourcedid")
LTI_ROSTER_SYNC_MINUTES = env.int("LTI_ROSTER_SYNC_MINUTES", default=60)
LTI_REGISTRATION_LINK_HOURS = env.int("LTI_REGISTRATION_LINK_HOURS", default=24)  # a dynamic registration link
LTI_SCORE_RETRY_MINUTES = env.int("LTI_SCORE_RETRY_MINUTES", default=10)  # scores an LMS refused are sent again
# false: no password login at all (a campus that requires SSO); needs OIDC_ISSUER.
PASSWORD_LOGIN = env.bool("PASSWORD_LOGIN", default=True)

LOGIN_URL = "accounts:login"
# A form refused for its CSRF token gets a page in the reader's language that says what happened.
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Password guessing is slowed per account, from any address (accounts/throttle.py): LOGIN_FAILURE_LIMIT
# wrong passwords within LOGIN_FAILURE_WINDOW seconds pause logins to the account for LOGIN_SLOWDOWN_SECONDS,
# doubled at each further pause up to LOGIN_SLOWDOWN_MAX_SECONDS; a browser that logged in to the account
# within LOGIN_KNOWN_BROWSER_DAYS is not paused (until it makes LOGIN_FAILURE_LIMIT wrong guesses itself).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=900)
LOGIN_SLOWDOWN_SECONDS = env.int("LOGIN_SLOWDOWN_SECONDS", default=60)
LOGIN_SLOWDOWN_MAX_SECONDS = env.int("LOGIN_SLOWDOWN_MAX_SECONDS", default=3600)
LOGIN_KNOWN_BROWSER_DAYS = env.int("LOGIN_KNOWN_BROWSER_DAYS", default=180)

# Pages, messages, e-mails and exports in English and Turkish: a user's own choice (the switch in
# the header, kept on the account), else the browser's Accept-Language, else LANGUAGE_CODE.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("tr", "Türkçe")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# How names sort in lists, reports and exports: "tr" (the Turkish alphabet) or anything else (root order).
NAME_COLLATION = env.str("NAME_COLLATION", default="tr")
# The school's time zone: what teachers type and read (start times, history, exports).
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Istanbul")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media")))
# Photos are personal data: never under a public URL (no MEDIA_URL route);
# only attendance.photos.views serves them, to whoever may see them.
PHOTO_STORAGE_BUCKET = env.str("PHOTO_STORAGE_BUCKET", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "photos": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "photos", "base_url": None, "file_permissions_mode": 0o600},
    },
}
if PHOTO_STORAGE_BUCKET:  # an S3-compatible bucket (AWS, MinIO, Ceph…), private objects, no public URLs
    STORAGES["photos"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PHOTO_STORAGE_BUCKET,
            "endpoint_url": env.str("PHOTO_STORAGE_ENDPOINT_URL", default="") or None,
            "access_key": env.str("PHOTO_STORAGE_ACCESS_KEY", default="") or None,
            "secret_key": env.str("PHOTO_STORAGE_SECRET_KEY", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Mail: console in development; EMAIL_URL (e.g. smtp+tls://user:pw@host:587) in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="attn@localhost")
# The site's address as people reach it: the links in e-mails (warnings) start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("ATTN operators", addr) for addr in env.list("ALERT_EMAIL", default=["ops@localhost"])]
# Error mail (500s, 503s during an outage): one per distinct error in this many minutes.
ERROR_MAIL_MINUTES = env.int("ERROR_MAIL_MINUTES", default=10)

# Live attendance.
LIVE_GRACE_DAYS = env.int("LIVE_GRACE_DAYS", default=3)
CODE_STEP_SECONDS = env.int("CODE_STEP_SECONDS", default=15)
LATE_THRESHOLD_MINUTES = env.int("LATE_THRESHOLD_MINUTES", default=10)
CHECKIN_MAX_WRONG_CODES = env.int("CHECKIN_MAX_WRONG_CODES", default=5)
# An online meeting's attendance report (Zoom, Teams, BigBlueButton) is refused above this size.
MEETING_REPORT_MAX_BYTES = env.int("MEETING_REPORT_MAX_BYTES", default=2 * 1024 * 1024)
# The students a spot check draws by default (the live page's box says how many each time, 1-50).
SPOT_CHECK_SIZE = env.int("SPOT_CHECK_SIZE", default=5)
CHECKIN_LINK_MAX_AGE = env.int("CHECKIN_LINK_MAX_AGE", default=120)
# A web process reads the list of open sessions at most this often for typed
# codes (a session started since is found by the full path).
CHECKIN_OPEN_SESSIONS_MAX_AGE = env.float("CHECKIN_OPEN_SESSIONS_MAX_AGE", default=1.0)
# Wrong codes across all sessions: a student (or, opening one session's QR
# links, a client address, an IPv6 one by its /64) with CHECKIN_GUESS_LIMIT
# (CHECKIN_GUESS_LIMIT_PER_ADDRESS) of them within CHECKIN_GUESS_WINDOW seconds
# is locked out for CHECKIN_GUESS_LOCK_SECONDS, doubled at every further
# lock-out up to CHECKIN_GUESS_LOCK_MAX_SECONDS.  After
# CHECKIN_QR_GUESS_LIMIT_PER_SESSION wrong QR codes in a session, from any
# addresses, its QR codes are judged only after the login, against the student.
CHECKIN_GUESS_LIMIT = env.int("CHECKIN_GUESS_LIMIT", default=10)
CHECKIN_GUESS_LIMIT_PER_ADDRESS = env.int("CHECKIN_GUESS_LIMIT_PER_ADDRESS", default=30)
CHECKIN_QR_GUESS_LIMIT_PER_SESSION = env.int("CHECKIN_QR_GUESS_LIMIT_PER_SESSION", default=100)
CHECKIN_GUESS_WINDOW = env.int("CHECKIN_GUESS_WINDOW", default=900)
CHECKIN_GUESS_LOCK_SECONDS = env.int("CHECKIN_GUESS_LOCK_SECONDS", default=60)
CHECKIN_GUESS_LOCK_MAX_SECONDS = env.int("CHECKIN_GUESS_LOCK_MAX_SECONDS", default=86400)
# Addresses or CIDR ranges of the reverse proxies in front of gunicorn: only
# their X-Forwarded-For / X-Forwarded-Proto are believed.  Empty: none.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Sweep.
SWEEP_INTERVAL = env.int("SWEEP_INTERVAL", default=60)
SWEEP_MAX_FAILURES = env.int("SWEEP_MAX_FAILURES", default=5)
SWEEP_OVERDUE_MINUTES = env.int("SWEEP_OVERDUE_MINUTES", default=10)
# The longest a sweep run may take (the task's timeout is 30 s less).
SWEEP_CLAIM_SECONDS = env.int("SWEEP_CLAIM_SECONDS", default=300)
# A sweeper's claim on a session lives this long and its heartbeat renews it every third of that while
# the sweeper works: a sweeper killed mid-session frees the session for the next run within this time.
SWEEP_CLAIM_TTL = env.int("SWEEP_CLAIM_TTL", default=30)
# The task cluster is stalled when no scheduled sweep has finished for SWEEP_STALL_SECONDS (about twice
# the interval; django-q2's scheduler looks every 30 s), or the oldest queued task has waited over
# QUEUE_STALL_SECONDS (past a task's timeout: a busy cluster frees a worker by then). /healthz/sweep
# answers 503, and the watchdog (manage.py qcluster_watchdog) restarts the cluster and mails the
# administrators; it checks every WATCHDOG_CHECK_SECONDS and gives a cluster WATCHDOG_STOP_SECONDS
# to stop on SIGTERM before it kills the cluster's process group.
SWEEP_STALL_SECONDS = env.int("SWEEP_STALL_SECONDS", default=2 * SWEEP_INTERVAL + 30)
QUEUE_STALL_SECONDS = env.int("QUEUE_STALL_SECONDS", default=SWEEP_CLAIM_SECONDS)
WATCHDOG_CHECK_SECONDS = env.float("WATCHDOG_CHECK_SECONDS", default=15)
WATCHDOG_STOP_SECONDS = env.float("WATCHDOG_STOP_SECONDS", default=8)
# Sessions persisted side by side by one sweep run (each thread has its own DB connection).
SWEEP_THREADS = env.int("SWEEP_THREADS", default=2)
# Sessions a sweep thread takes at a time, written in transactions (bulk_create per table, one commit) of
# at most about this many records; a transaction the database refuses is written again one session at
# a time. (Named SWEEP_GROUP_* before: a "group" is the live store's slot group.)
SWEEP_BATCH_SESSIONS = env.int("SWEEP_BATCH_SESSIONS", default=50)
SWEEP_BATCH_RECORDS = env.int("SWEEP_BATCH_RECORDS", default=10000)

# Excuse requests: a student asks in advance, the teacher decides; an attachment (PDF, JPEG or PNG)
# is kept in the private storage, as photos are.
EXCUSE_ATTACHMENT_MAX_BYTES = env.int("EXCUSE_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)
EXCUSE_MAX_DAYS = env.int("EXCUSE_MAX_DAYS", default=31)  # the longest range one request covers
# Timetables: a slot's session opens this long before it starts (ready to project, "Starts at …").
TIMETABLE_LEAD_MINUTES = env.int("TIMETABLE_LEAD_MINUTES", default=15)

# Reports.
# Photo check (issue 12): a selfie matched against the student's reference photo in the worker.
PHOTO_TOLERANCE = env.float("PHOTO_TOLERANCE", default=0.6)  # face distance at or below which it is a match
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
# A phone's front camera takes 8-16 megapixels (the check-in page scales the selfie down to 640 px first);
# the header's size is checked before any decoding, and a decoded image costs ~4 bytes a pixel, twice.
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=16_000_000)
# Selfies one student may post to one session (each is decoded, stored and verified): a few retries after a
# rejection ("no face"), then the teacher checks them in by hand.
PHOTO_UPLOADS_PER_SESSION = env.int("PHOTO_UPLOADS_PER_SESSION", default=5)
PHOTO_STORED_SIDE = env.int("PHOTO_STORED_SIDE", default=1024)  # longest side kept after the upload
PHOTO_RETENTION_DAYS = env.int("PHOTO_RETENTION_DAYS", default=30)
# A finished session with photos still pending waits this long for them before the sweep persists it.
PHOTO_SWEEP_WAIT = env.int("PHOTO_SWEEP_WAIT", default=120)
# A photo still being checked this long after it was handed to the worker is handed over again (its task
# was lost with a killed worker): a job every minute looks.
PHOTO_REQUEUE_SECONDS = env.int("PHOTO_REQUEUE_SECONDS", default=90)
# The live selfie (issue 29): the page takes two frames, looking straight and then turned the way the server
# asked; the challenge lives LIVE_CHALLENGE_SECONDS (taking the pictures and sending them must fit in it),
# and the head must turn by PHOTO_TURN_MIN at least (the nose tip's move between the jaw's ends, as a share
# of half the face's width: a real turn of 20-30 degrees moves it 0.3-0.4, a still photo 0).
LIVE_CHALLENGE_SECONDS = env.int("LIVE_CHALLENGE_SECONDS", default=120)
PHOTO_TURN_MIN = env.float("PHOTO_TURN_MIN", default=0.2)
# Photos are judged by a django-q2 cluster of their own ("photos", PHOTO_WORKERS workers; `manage.py
# qcluster_watchdog --photos` runs it), so a lecture hall's 500 selfies never hold up the sweep, the warnings
# or the timetable behind them. Its processes run at PHOTO_NICE (the sweep and the web requests come first
# on a shared machine). PHOTO_WORKERS=0: no cluster of their own, the main cluster judges photos too.
PHOTO_WORKERS = env.int("PHOTO_WORKERS", default=2)
PHOTO_NICE = env.int("PHOTO_NICE", default=10)
PHOTO_CLUSTER = "photos"
# The external verifier (off unless PHOTO_VERIFIER_URL is set): the worker posts the photo there and
# the verifier calls back POST /api/verification/ signed with PHOTO_VERIFIER_SECRET (HMAC-SHA256).
PHOTO_VERIFIER_URL = env.str("PHOTO_VERIFIER_URL", default="")
PHOTO_VERIFIER_SECRET = env.str("PHOTO_VERIFIER_SECRET", default="")
PHOTO_VERIFIER_MAX_AGE = env.int("PHOTO_VERIFIER_MAX_AGE", default=300)
PHOTO_VERIFIER_CALLBACK_URL = env.str("PHOTO_VERIFIER_CALLBACK_URL", default="http://127.0.0.1:8000/api/verification/")

ATTENDANCE_THRESHOLD = env.int("ATTENDANCE_THRESHOLD", default=70)

Q_CLUSTER = {
    "name": "attn",
    "workers": env.int("Q_WORKERS", default=2),
    "django_redis": "default",
    # A sweep run never takes longer than its claim; retry only after the timeout
    # so that a slow run is not started twice, and never catch up missed runs.
    "timeout": SWEEP_CLAIM_SECONDS - 30,
    "retry": SWEEP_CLAIM_SECONDS,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 500,
    "ack_failures": True,
    # The photo cluster (the process started with Q_CLUSTER_NAME=photos) reads this on top of the above. A
    # photo's task is short; one lost with a killed worker is asked for again (PHOTO_REQUEUE_SECONDS).
    "ALT_CLUSTERS": {PHOTO_CLUSTER: {"workers": max(PHOTO_WORKERS, 1), "timeout": 60, "retry": 90}},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "client_errors": {"()": "attn_site.log_filters.ClientErrorsWithoutTraceback"},
        "redact_secrets": {"()": "attn_site.log_filters.RedactSecrets"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "one_mail_per_error": {"()": "attn_site.log_filters.OneMailPerError"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors", "redact_secrets"],
        },
        # Django's own mail_admins handler, with one mail per distinct error every ERROR_MAIL_MINUTES.
        "mail_admins": {
            "level": "ERROR",
            "class": "django.utils.log.AdminEmailHandler",
            "filters": ["require_debug_false", "redact_secrets", "one_mail_per_error"],
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "attendance": {"level": env.str("LOG_LEVEL", default="INFO")},
        "accounts": {"level": env.str("LOG_LEVEL", default="INFO")},
        "adminpanel": {"level": env.str("LOG_LEVEL", default="INFO")},
    },
}
