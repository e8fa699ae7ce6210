"""Every policy pack, by key. A site stores the key; callers get the pack with :func:`get_pack`."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from liaison.policies.base import PolicyPack
from liaison.policies.england_nhs import EnglandNHS
from liaison.policies.scotland_nhs import ScotlandNHS
from liaison.policies.us_cms import USCMS
from liaison.policies.wales_nhs import WalesNHS


class UnknownPolicyPack(LookupError):
    pass


_PACKS: dict[str, PolicyPack] = {pack.key: pack for pack in (EnglandNHS(), USCMS(), ScotlandNHS(), WalesNHS())}
PACKS: Mapping[str, PolicyPack] = MappingProxyType(_PACKS)


def get_pack(key: str) -> PolicyPack:
    try:
        return PACKS[key]
    except KeyError:
        raise UnknownPolicyPack(f"Unknown policy pack {key!r}; known packs: {', '.join(PACKS)}.") from None
