"""ACLED's taxonomy mapped to routerisk's: event types from ACLED's sub-event types refined
by the notes, and targets from the notes and the second actor (keyword rules, checked by
hand on samples)."""

from __future__ import annotations

import re

import pandas as pd

from routerisk.incidents.schema import (
    EventType,
    Target,
)

ET = EventType


TG = Target


#: ACLED ``sub_event_type`` → event type, before the ``notes`` refinements.
ACLED_SUB_EVENT_TYPES: dict[str, str] = {
    "Armed clash": ET.CLASH.value,
    "Government regains territory": ET.ATTACK_ON_TOWN.value,
    "Non-state actor overtakes territory": ET.ATTACK_ON_TOWN.value,
    "Attack": ET.VIOLENCE_AGAINST_CIVILIANS.value,
    "Sexual violence": ET.VIOLENCE_AGAINST_CIVILIANS.value,
    "Abduction/forced disappearance": ET.KIDNAPPING.value,
    "Remote explosive/landmine/IED": ET.IED.value,
    "Grenade": ET.IED.value,
    "Suicide bomb": ET.ATTACK_ON_TOWN.value,
    "Shelling/artillery/missile attack": ET.ATTACK_ON_TOWN.value,
    "Air/drone strike": ET.CLASH.value,
    "Chemical weapon": ET.ATTACK_ON_TOWN.value,
    "Looting/property destruction": ET.LOOTING.value,
    "Peaceful protest": ET.PROTEST.value,
    "Protest with intervention": ET.PROTEST.value,
    "Excessive force against protesters": ET.PROTEST.value,
    "Violent demonstration": ET.PROTEST.value,
    "Mob violence": ET.PROTEST.value,
    "Agreement": ET.STRATEGIC.value,
    "Arrests": ET.STRATEGIC.value,
    "Change to group/activity": ET.STRATEGIC.value,
    "Disrupted weapons use": ET.STRATEGIC.value,
    "Headquarters or base established": ET.STRATEGIC.value,
    "Non-violent transfer of territory": ET.STRATEGIC.value,
    "Other": ET.STRATEGIC.value,
}


#: ACLED ``event_type`` → event type, used when ``sub_event_type`` is empty or unknown.
ACLED_EVENT_TYPES: dict[str, str] = {
    "Battles": ET.CLASH.value,
    "Violence against civilians": ET.VIOLENCE_AGAINST_CIVILIANS.value,
    "Explosions/Remote violence": ET.IED.value,
    "Protests": ET.PROTEST.value,
    "Riots": ET.PROTEST.value,
    "Strategic developments": ET.STRATEGIC.value,
}


#: ACLED actor-type codes (``inter1``/``inter2``); recent exports spell them out.
ACLED_INTER_NAMES: dict[str, str] = {
    "state forces": "1", "rebel group": "2", "political militia": "3",
    "identity militia": "4", "rioters": "5", "protesters": "6", "civilians": "7",
    "external/other forces": "8", "external forces": "8", "other forces": "8",
}


#: Event types whose ``notes`` may turn them into a convoy ambush, IED, kidnapping or
#: checkpoint (ACLED codes an ambush as "Armed clash", a burnt convoy as "Looting", ...).
_REFINABLE = {ET.CLASH.value, ET.VIOLENCE_AGAINST_CIVILIANS.value, ET.LOOTING.value,
              ET.ATTACK_ON_TOWN.value}


_VEHICLE = (r"(?:convoys?|convois?|trucks?|lorr(?:y|ies)|tankers?|citernes?|camions?|bus(?:es)?"
            r"|minibus(?:es)?|coach(?:es)?|vehicles?|v[ée]hicules?|cars?|passengers?|voyageurs"
            r"|drivers?|chauffeurs?|transporters?|transporteurs?)")


_HIT = (r"(?:ambush(?:ed|es|ing)?|attack(?:ed|s|ing)?|fired (?:on|at|upon)"
        r"|opened fire (?:on|at|against)|shot at|intercept(?:ed|ing)?|stopp?ed"
        r"|hijack(?:ed|ing)?|burn(?:ed|t|ing)?|torch(?:ed|ing)?|set (?:on )?fire"
        r"|loot(?:ed|ing)?|rob(?:bed|bing)?|raid(?:ed|ing)?|seiz(?:ed|ing)|attaqu[ée]\w*"
        r"|incendi[ée]\w*|br[uû]l[ée]\w*|pill[ée]\w*|braqu[ée]\w*)")


#: notes → convoy or vehicle ambush: an ambush, or a vehicle hit on the road.
NOTES_CONVOY_AMBUSH = re.compile(
    rf"\b(?:ambush\w*|embuscades?)\b|\b{_HIT}\b[^.;,]{{0,60}}?\b{_VEHICLE}\b"
    rf"|\b{_VEHICLE}\b[^.;,]{{0,60}}?\b(?:was|were|got|été)\s+{_HIT}\b", re.IGNORECASE)


#: notes → IED or mine.
NOTES_IED = re.compile(
    r"\b(?:ieds?|landmines?|land mines?|improvised explosive|explosive devices?"
    r"|engins? explosifs?|mines? (?:explo\w*|blast)|hit a mine|struck a mine|roadside bomb"
    r"|ied-?\w*)\b", re.IGNORECASE)


#: notes → kidnapping.
NOTES_KIDNAPPING = re.compile(
    r"\b(?:kidnap\w*|abduct\w*|hostages?|enlev\w*|took \w+ captive)\b", re.IGNORECASE)


#: notes → an illegal checkpoint (not an attack on an army checkpoint).
NOTES_CHECKPOINT = re.compile(
    r"\b(?:(?:set|setting|put) up (?:an? )?(?:illegal |fake |makeshift )?"
    r"(?:checkpoints?|roadblocks?)"
    r"|erect\w* (?:an? )?(?:checkpoints?|roadblocks?)|illegal checkpoints?|fake checkpoints?"
    r"|faux barrages?|extort\w*|racket(?:eer\w*|ed|ing|s)|ran[çc]onn\w*)\b", re.IGNORECASE)


#: notes → an attack on a town, camp or position (turns a clash into attack_on_town).
NOTES_ATTACK_POSITION = re.compile(
    r"\b(?:attack\w*|assault\w*|raid\w*|stormed|overran|shell\w*|attaqu\w*)\b[^.;,]{0,50}?"
    r"\b(?:camps?|bases?|posts?|outposts?|positions?|barracks|gendarmerie|police station"
    r"|brigade|town|city|checkpoints?|prison|commissariat)\b", re.IGNORECASE)


#: notes → target, first match wins (fuel tankers before convoys before military).
NOTES_TARGETS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (TG.FUEL_TANKER.value, re.compile(
        r"\b(?:tankers?|citernes?|camions?[- ]citernes?|(?:fuel|petrol|gasoline|diesel|oil"
        r"|refuel\w*|carburant|essence|gasoil)\s+(?:trucks?|lorr(?:y|ies)|convoys?|supply"
        r"|transport\w*|camions?|tankers?)|(?:trucks?|camions?|convoys?)\s+(?:\w+\s+)?"
        r"(?:carrying|transporting|loaded with|de|of)\s+(?:fuel|petrol|diesel|carburant"
        r"|gasoil))\b", re.IGNORECASE)),
    (TG.PASSENGER_TRANSPORT.value, re.compile(
        r"\b(?:bus(?:es)?|minibus(?:es)?|coach(?:es)?|passengers?|public transport"
        r"|transports? en commun|voyageurs|sotrama|taxi(?:-brousse)?s?)\b", re.IGNORECASE)),
    (TG.CONVOY.value, re.compile(
        r"\b(?:convoys?|convois?|trucks?|lorr(?:y|ies)|camions?|truckers?|truck drivers?"
        r"|transporters?|transporteurs?)\b",
        re.IGNORECASE)),
    (TG.MINE_OR_COMPANY.value, re.compile(
        r"\b(?:gold|mining|orpaill\w*|mine sites?|sites? miniers?|gold ?mines?|compan(?:y|ies)"
        r"|contractors?|subcontractors?|soci[ée]t[ée]s?|entreprises?|factory|usine)\b",
        re.IGNORECASE)),
)


_GOVERNMENT = re.compile(r"\b(?:government|officials?|mayors?|prefects?|sub-prefects?|customs"
                         r"|judges?|administrat\w*|civil servants?|maires?|pr[ée]fets?)\b",
                         re.IGNORECASE)


def _inter_codes(values: pd.Series) -> pd.Series:
    """ACLED actor-type codes as strings "1"…"8" ("" when absent), from codes or names."""
    v = values.astype(str).str.strip()
    v = v.str.replace(r"\.0$", "", regex=True)
    named = v.str.lower().map(ACLED_INTER_NAMES)
    return named.fillna(v).where(v.str.lower() != "nan", "")


def acled_event_types(sub_event_type: pd.Series, event_type: pd.Series,
                      notes: pd.Series) -> pd.Series:
    """Event types for ACLED rows: ``sub_event_type`` mapped, then refined by ``notes``.

    Among clashes, attacks on civilians, looting and attacks on positions, the notes can
    make an event a convoy/vehicle ambush (an ambush, or a convoy, truck, tanker, bus or
    vehicle attacked, burnt or looted), then an IED, a kidnapping, an illegal checkpoint, or
    (for clashes) an attack on a town, camp or position. Unknown sub-event types fall back
    to ``event_type``; values neither knows are left as given (validation reports them).
    """
    base = sub_event_type.map(ACLED_SUB_EVENT_TYPES)
    base = base.fillna(event_type.map(ACLED_EVENT_TYPES))
    base = base.fillna(sub_event_type.where(sub_event_type != "", event_type)).astype(object)
    text = notes.fillna("").astype(str)
    refinable = base.isin(_REFINABLE)
    out = base.copy()
    todo = refinable.copy()
    for kind, pattern, allowed in (
            (ET.CONVOY_AMBUSH.value, NOTES_CONVOY_AMBUSH, None),
            (ET.IED.value, NOTES_IED, None),
            (ET.KIDNAPPING.value, NOTES_KIDNAPPING,
             {ET.VIOLENCE_AGAINST_CIVILIANS.value, ET.LOOTING.value}),
            (ET.CHECKPOINT.value, NOTES_CHECKPOINT, None),
            (ET.ATTACK_ON_TOWN.value, NOTES_ATTACK_POSITION, {ET.CLASH.value})):
        hit = todo & text.str.contains(pattern)
        if allowed is not None:
            hit &= base.isin(allowed)
        out[hit] = kind
        todo &= ~hit
    return out


def acled_targets(notes: pd.Series, inter2: pd.Series, actor2: pd.Series,
                  assoc_actor_2: pd.Series, event_type: pd.Series) -> pd.Series:
    """Targets for ACLED rows: from ``notes`` words first, then the second actor.

    Order: fuel tanker, passenger transport, convoy (a convoy with state or external forces
    as second actor is ``military``), mine or company; then ``military`` when the second
    actor is state or external forces (``inter2`` 1 or 8), ``government`` when it names
    officials, ``civilians`` for ``inter2`` 7, ``town`` for attacks on towns; else unknown.
    """
    text = notes.fillna("").astype(str)
    out = pd.Series(TG.UNKNOWN.value, index=notes.index, dtype=object)
    todo = pd.Series(True, index=notes.index)
    military = inter2.isin(["1", "8"])
    for target, pattern in NOTES_TARGETS:
        hit = todo & text.str.contains(pattern)
        if target == TG.CONVOY.value:
            out[hit & military] = TG.MILITARY.value
            out[hit & ~military] = target
        else:
            out[hit] = target
        todo &= ~hit
    who = actor2.fillna("").astype(str) + " " + assoc_actor_2.fillna("").astype(str)
    for target, hit in (
            (TG.MILITARY.value, military),
            (TG.GOVERNMENT.value, who.str.contains(_GOVERNMENT)),
            (TG.CIVILIANS.value, inter2 == "7"),
            (TG.TOWN.value, event_type == ET.ATTACK_ON_TOWN.value)):
        hit = todo & hit
        out[hit] = target
        todo &= ~hit
    return out
