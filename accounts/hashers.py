"""Password hashing at the cost OWASP recommends as a minimum for Argon2id.

Django's default Argon2 parameters (100 MiB, 8 lanes) cost 0.3–0.5 s of CPU per
login here: a lecture of 300 logging in at once queued for over a minute.
OWASP's minimum (19 MiB, 2 iterations, 1 lane) keeps Argon2id's resistance to
GPU cracking at a fraction of the cost.  Hashes made with other parameters are
re-hashed at the user's next successful login (Django's ``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
