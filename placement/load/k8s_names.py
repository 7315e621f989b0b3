"""Kubernetes object names (RFC 1123), checked wherever a scenario name becomes a name, a label or a path.

- a **DNS-1123 label** (namespaces; label values): at most 63 characters, lowercase letters, digits
  and '-', starting and ending with a letter or digit;
- a **DNS-1123 subdomain** (Deployment names): at most 253 characters, labels joined by '.'.

Cluster names become folder names (`apply --output-dir DIR/<cluster>`) and label values, so they are
subdomains of at most 63 characters. Nothing that passes can be `.`, `..`, contain `/` or be absolute.
"""

from __future__ import annotations

import re

LABEL_MAX = 63
SUBDOMAIN_MAX = 253
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def label_problem(name: str, *, what: str) -> str | None:
    """Why `name` is not a DNS-1123 label (with a fix), or None."""
    return _problem(name, _LABEL, LABEL_MAX, what, "lowercase letters, digits and '-'")


def subdomain_problem(name: str, *, what: str, max_length: int = SUBDOMAIN_MAX) -> str | None:
    """Why `name` is not a DNS-1123 subdomain of at most `max_length` characters (with a fix), or None."""
    return _problem(name, _SUBDOMAIN, max_length, what, "lowercase letters, digits, '-' and '.'")


def _problem(name: str, pattern: re.Pattern[str], max_length: int, what: str, alphabet: str) -> str | None:
    if len(name) > max_length:
        return f"is {len(name)} characters long: a {what} has at most {max_length}"
    if pattern.match(name):
        return None
    suggestion = _suggest(name, max_length)
    fix = f'; e.g. "{suggestion}"' if suggestion else ""
    return f"must be a {what}: {alphabet}, starting and ending with a letter or digit{fix}"


def _suggest(name: str, max_length: int) -> str:
    """The nearest name that passes: lowercase, other characters as '-', trimmed."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return cleaned[:max_length].rstrip("-")
