"""Residency codes: ISO 3166-1 alpha-2 countries and named jurisdiction groups (EU, EEA, US, ...).

A workload's ``residency`` is a list of codes; a cluster satisfies it when its country is one of the
listed countries or belongs to one of the listed groups. Codes are case-insensitive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from placement.errors import close_matches


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Every ISO 3166-1 alpha-2 code officially assigned (249 entries), as listed by the ISO 3166
#: Maintenance Agency (ISO Online Browsing Platform, https://www.iso.org/obp/ui/#search, "Officially
#: assigned codes"; unchanged since SS was added in 2011). Scenario `country` fields are checked against it.
ISO_COUNTRIES: frozenset[str] = _codes(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """
)

#: The 27 member states of the European Union (since 2020-02-01).
EU_MEMBERS: frozenset[str] = _codes("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK")

#: Group name → member countries. Group names are upper case; "UK" is the common name of GB.
GROUPS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "EU": EU_MEMBERS,
        "EEA": EU_MEMBERS | {"IS", "LI", "NO"},  # EU + Iceland, Liechtenstein, Norway
        "US": frozenset({"US"}),
        "UK": frozenset({"GB"}),
        "CH": frozenset({"CH"}),
        # Asia-Pacific as the clouds' "Asia Pacific" region names use it (India included).
        "APAC": _codes("AU CN HK ID IN JP KR MO MY NZ PH SG TH TW VN"),
    }
)

#: Public list of group names, in the order above.
GROUP_NAMES: tuple[str, ...] = tuple(GROUPS)


def groups_of(country: str) -> tuple[str, ...]:
    """The groups a country belongs to (``"DE"`` → ``("EU", "EEA")``), in `GROUP_NAMES` order."""
    code = country.upper()
    return tuple(name for name, members in GROUPS.items() if code in members)


def known_residency_code(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 country code or a group name (any case)."""
    upper = code.strip().upper()
    return upper in ISO_COUNTRIES or upper in GROUPS


def residency_allows(country: str, codes: Sequence[str] | None) -> bool:
    """True when `country` satisfies a residency list (None or empty = anywhere)."""
    if not codes:
        return True
    target = country.upper()
    for code in codes:
        upper = code.strip().upper()
        if upper == target or target in GROUPS.get(upper, ()):
            return True
    return False


def residency_codes() -> tuple[str, ...]:
    """Every code `known_residency_code` accepts: group names first, then countries (sorted)."""
    return GROUP_NAMES + tuple(sorted(ISO_COUNTRIES - set(GROUPS)))


def suggest_residency_code(code: str, candidates: Iterable[str] | None = None) -> str | None:
    """The closest known code to a mistyped one (``"EUR"`` → ``"EU"``), for "did you mean" messages."""
    pool = list(candidates) if candidates is not None else list(residency_codes())
    matches = close_matches(code.strip().upper(), pool, cutoff=0.5)
    return matches[0] if matches else None


__all__ = [
    "EU_MEMBERS",
    "GROUPS",
    "GROUP_NAMES",
    "ISO_COUNTRIES",
    "groups_of",
    "known_residency_code",
    "residency_allows",
    "residency_codes",
    "suggest_residency_code",
]
