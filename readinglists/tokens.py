"""The two secrets of a reading list, and what is stored of them. Pure Python (no Django).

A list is reached by links, never by an account: its owner holds the *edit token*, and the *view
token* is the link the owner shares. Both are 24 random bytes (192 bits), far beyond guessing.

Only SHA-256 digests of the tokens are stored, so a copy of the database (a backup, a curator's
admin page) gives no link that works. The view token is derived from the edit token (an HMAC of it),
so the owner's page can still show the share link without the database holding it, and a view link
gives nothing towards the edit link. Tokens have this much entropy, so a fast unsalted hash is
enough: there is no dictionary to try.

A list is found by the digest of the token in the URL, an indexed equality lookup. Its timing can
only reveal how a digest of the attacker's own guess compares with stored digests, which gives no
way to build a token that matches (that would need a preimage). The lookup is then confirmed with
hmac.compare_digest, so no code path compares a secret byte by byte in variable time.
"""

import base64
import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 24
# What token_urlsafe(24) produces: 32 characters of the URL-safe base64 alphabet, no padding.
TOKEN_PATTERN = "[A-Za-z0-9_-]{32}"
_TOKEN = re.compile(TOKEN_PATTERN)
_VIEW_LABEL = b"reading-list view link"


def new_edit_token():
    return secrets.token_urlsafe(TOKEN_BYTES)


def view_token_for(edit_token):
    """The share link's token, which only the edit token's holder can compute."""
    mac = hmac.new(edit_token.encode(), _VIEW_LABEL, hashlib.sha256).digest()[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def digest(token):
    """What the database keeps of a token (hex SHA-256, 64 characters)."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_token(value):
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def matches(token, stored_digest):
    """Whether a token is the one a stored digest was made from, in constant time."""
    return is_token(token) and hmac.compare_digest(digest(token), stored_digest)
