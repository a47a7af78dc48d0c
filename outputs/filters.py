"""The Directory's filters, over the partner registry (partners are classes, not rows)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.identities import ALL_IDENTITY_TYPES
from outputs.forms import DirectoryFilterForm
from outputs.partners import all_partners
from outputs.partners.base import Partner


def has_audience_support(partner: type[Partner]) -> bool:
    """A partner can receive audiences when it implements `send`."""
    return partner.send is not Partner.send


@dataclass
class DirectoryFilter:
    form: DirectoryFilterForm
    partners: list[type[Partner]]

    @classmethod
    def from_query(cls, data) -> DirectoryFilter:
        everyone = all_partners()
        form = DirectoryFilterForm(
            # A first visit (no query at all) shows the default: audience outputs only.
            data if data else None,
            initial={"audiences": True},
            categories=sorted({p.category for p in everyone}),
            identity_types=list(ALL_IDENTITY_TYPES),
        )
        wanted = form.cleaned_data if form.is_bound and form.is_valid() else {"audiences": True}
        text = (wanted.get("q") or "").strip().lower()
        found = [
            p
            for p in everyone
            if (not wanted.get("audiences") or has_audience_support(p))
            and (not wanted.get("category") or p.category == wanted["category"])
            and (not wanted.get("identity") or wanted["identity"] in p.accepted_identity_types)
            and (not text or text in f"{p.name} {p.category} {p.description}".lower())
        ]
        return cls(form=form, partners=found)
