"""Settings for the test suite: the real settings, with a throw-away data directory."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("ENCRYPTION_KEY", "test-encryption-key-not-for-production-0123456789")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="rendezvous-test-"))
os.environ.setdefault("BASE_URL", "http://testserver")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 (whitenoise warns when it is missing)
