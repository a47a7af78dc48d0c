"""The partner registry: one entry per package under outputs/partners/, imported lazily.

Model choices, the Directory and the API catalogue all derive from this mapping; nothing
else in the project branches on a partner's kind.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from outputs.partners.base import Partner

PARTNERS: dict[str, tuple[str, str]] = {
    "webhook": ("Webhook", "outputs.partners.webhook.partner.Webhook"),
    "mailchimp": ("Mailchimp", "outputs.partners.mailchimp.partner.Mailchimp"),
    "braze": ("Braze", "outputs.partners.braze.partner.Braze"),
    "facebook": ("Facebook Custom Audiences", "outputs.partners.facebook.partner.Facebook"),
    "iterable": ("Iterable", "outputs.partners.iterable.partner.Iterable"),
    "customerio": ("Customer.io", "outputs.partners.customerio.partner.CustomerIO"),
    "firehose": ("Amazon Kinesis Firehose", "outputs.partners.firehose.partner.Firehose"),
}


def choices() -> list[tuple[str, str]]:
    return [(kind, label) for kind, (label, _) in PARTNERS.items()]


@cache
def partner_class(kind: str) -> type[Partner]:
    if kind not in PARTNERS:
        raise KeyError(f"unknown partner {kind!r}")
    module_path, _, class_name = PARTNERS[kind][1].rpartition(".")
    return getattr(import_module(module_path), class_name)


def all_partners() -> list[type[Partner]]:
    return [partner_class(kind) for kind in PARTNERS]
