from django.test import override_settings

from accounts.tokens import derive_token, digest, new_salt, new_token


def test_new_tokens_carry_at_least_128_random_bits():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 43 for t in tokens)


def test_derived_token_is_reproducible_per_salt_and_purpose():
    salt = new_salt()
    token = derive_token("booking-link:", salt)
    assert token == derive_token("booking-link:", salt)
    assert len(token) == 52 and token.islower() and token.isalnum()
    assert token != derive_token("rsvp:", salt)
    assert token != derive_token("booking-link:", new_salt())
    assert digest(token) != token and len(digest(token)) == 64


def test_rotating_the_secret_key_changes_every_derived_token():
    salt = new_salt()
    before = derive_token("rsvp:", salt)
    with override_settings(SECRET_KEY="another-secret-key-for-this-test-only-0123456789"):
        assert derive_token("rsvp:", salt) != before
