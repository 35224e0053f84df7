"""The actor gazetteer: config/actors.toml -> who a name, a capital or a person stands for.

An actor is a government (ISO 3166-1 alpha-2 code) or a body (EU, NATO, UN).
Places and institutions map to actors without a date; people map to an actor
only through an office they hold on the article's date (`speaker_actor`).

Terms of office: ``from`` is the first day in office, ``to`` the day the term
ended, which is normally the day the successor took office. On that handover
day the successor speaks for the government, so a term covers
``from <= day < to``.

Every error names the file, the table and its number, the key, what was found
and the fix, for example::

    config/actors.toml: [[actor]] #12 (DE) [[actor.official]] #3 key 'from' is '2021-13-01'; ...
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Sequence

from tracker.config import Table
from tracker.datafile import load_cached, read_toml
from tracker.errors import ConfigError, StanceError

BODIES = ("EU", "NATO", "UN")
KINDS = ("state", "body")
_CODE = re.compile(r"^[A-Z]{2}$")

# Letters NFKD does not split into base letter + accent.
_FOLD = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss",
                       "æ": "ae", "Æ": "AE", "þ": "th", "Þ": "Th", "ð": "d", "ı": "i",
                       "’": "'", "‘": "'"})


def fold(text: str) -> str:
    """ASCII-ish form of a name: 'Løkke Rasmussen' -> 'Lokke Rasmussen', 'Nausėda' -> 'Nauseda'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Official:
    name: str
    aliases: tuple[str, ...]
    office: str
    actor: str
    start: date | None
    end: date | None
    government: bool
    uncertain: bool

    def in_office(self, on: date | None) -> bool:
        """True when the term covers `on` (start <= on < end).

        An unknown date (None) counts only a term that has not ended.
        """
        if on is None:
            return self.end is None
        if self.start is not None and on < self.start:
            return False
        return self.end is None or on < self.end

    @property
    def forms(self) -> tuple[str, ...]:
        """Every way running text names this person: full name first, then aliases."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Actor:
    code: str
    kind: str
    names: tuple[str, ...]
    adjectives: tuple[str, ...]
    people: tuple[str, ...]
    capitals: tuple[str, ...]
    metonyms: tuple[str, ...]
    officials: tuple[Official, ...]

    @property
    def label(self) -> str:
        """The first name, for messages and reports ('Germany')."""
        return self.names[0]


@dataclass(frozen=True)
class Group:
    name: str
    aliases: tuple[str, ...]
    members: tuple[str, ...]


@dataclass(frozen=True)
class Term:
    """One surface form that names actors without a date: a name, demonym, capital, group..."""

    text: str
    codes: tuple[str, ...]
    via: str  # name | adjective | people | capital | metonym | group


@dataclass(frozen=True)
class Mention:
    """A span of text that names actors (places, groups) or a known person."""

    start: int
    end: int
    text: str
    codes: tuple[str, ...]  # for a person: the actor they speak for on the date asked, if any
    via: str  # a Term.via, or "official"
    officials: tuple[Official, ...] = ()  # every official with this name (person mentions only)


@dataclass(frozen=True)
class Gazetteer:
    actors: dict[str, Actor]
    groups: tuple[Group, ...]
    not_mentions: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()  # endings a form may take in running text ("Berlins", "Tuska"), longest first
    # Lookups built once from the fields above.
    _by_name: dict[str, tuple[Official, ...]] = field(init=False, repr=False, compare=False)
    _terms: dict[str, Term] = field(init=False, repr=False, compare=False)
    _skip: frozenset[str] = field(init=False, repr=False, compare=False)
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        terms = _build_terms(self.actors, self.groups)
        setattr_ = object.__setattr__  # frozen dataclass: set the derived lookups once
        setattr_(self, "_by_name", _index_officials(self.actors))
        setattr_(self, "_terms", terms)
        setattr_(self, "_skip", frozenset(_lower_article(p) for p in self.not_mentions))
        setattr_(self, "_pattern", _compile(list(terms) + _person_forms(self.actors) + list(self.not_mentions),
                                            self.suffixes))

    def actor(self, code: str) -> Actor:
        try:
            return self.actors[code]
        except KeyError:
            raise StanceError(f"unknown actor {code!r}; known actors: {', '.join(sorted(self.actors))}") from None

    def officials_named(self, name: str) -> list[Official]:
        """Officials whose full name or an alias is `name` (case-sensitive; accents and a
        trailing possessive "'s" are ignored: 'Lokke Rasmussen', "Scholz's")."""
        found = self._by_name.get(name)
        if found is None:
            found = self._by_name.get(fold(_strip_possessive(name)), ())
        return list(found)

    def speaker_actor(self, name: str, on: date | None) -> Official | None:
        """The official named `name` who speaks for a government on `on`, else None.

        None for former officials, opposition leaders, monarchs, unknown names, and
        an alias two different people in office share that day. When one person
        holds two such offices that day, the first listed wins.
        """
        speaking = [o for o in self.officials_named(name) if o.government and o.in_office(on)]
        if len({o.name for o in speaking}) > 1:
            return None  # two people share this alias on that date ("Harris" in 2024): ambiguous
        return speaking[0] if speaking else None

    def terms(self) -> tuple[Term, ...]:
        """Every undated surface form (names, demonyms, capitals, metonyms, groups)."""
        return tuple(self._terms.values())

    def group_members(self, alias: str) -> tuple[str, ...]:
        for group in self.groups:
            if alias == group.name or alias in group.aliases:
                return group.members
        return ()

    def find_mentions(self, text: str, on: date | None = None) -> list[Mention]:
        """Actor and person mentions in `text`, left to right, longest form first.

        Phrases listed in `not_mentions` ("Washington Post", "Minsk agreements")
        hide the names inside them. A person mention carries the actor they
        speak for on `on` in `codes` (empty when they speak for none).
        """
        if self._pattern is None or not text:
            return []
        mentions: list[Mention] = []
        for match in self._pattern.finditer(text):
            surface = match.group(0)
            key = self._known_form(_normalise_space(surface))
            if _lower_article(key) in self._skip:
                continue
            term = self._terms.get(_lower_article(key))
            if term is not None:
                mentions.append(Mention(match.start(), match.end(), surface, term.codes, term.via))
                continue
            officials = tuple(self.officials_named(key))
            if officials and " " not in key and _name_goes_on(text, match.end()):
                continue  # "Pavel Havlíček, a researcher": the surname of an official is another's first name
            if officials:
                speaker = self.speaker_actor(key, on)
                codes = (speaker.actor,) if speaker else ()
                mentions.append(Mention(match.start(), match.end(), surface, codes, "official", officials))
        return mentions


    def _known_form(self, key: str) -> str:
        """The listed form behind an inflected one: "Berlins" -> "Berlin" when "Berlins" is not listed."""
        if not self.suffixes or _lower_article(key) in self._terms or key in self._by_name:
            return key
        for suffix in self.suffixes:
            stem = key[: -len(suffix)]
            if key.endswith(suffix) and stem and (_lower_article(stem) in self._terms or stem in self._by_name):
                return stem
        return key

    def with_language(self, data: dict[str, Any], path: Path) -> "Gazetteer":
        """This gazetteer plus a language pack's forms: [[actor]] names, adjectives, people,
        capitals and metonyms added to the actor of that code, [[official]] forms to that
        person, [[group]] aliases, [language] suffixes and not_mentions (names of parties and papers
        that contain a country's name). ConfigError names the pack."""
        name = str(path)
        actors = dict(self.actors)
        where_of = {code: f"config/actors.toml [[actor]] ({code})" for code in actors}
        for number, item in enumerate(array_of_tables(data.get("actor", []), name, "actor"), start=1):
            where = f"{name}: [[actor]] #{number}"
            t = Table(item, labelled(where, item, "code"), {"code", "names", "adjectives", "people", "capitals", "metonyms"})
            code = t.get("code", str, required=True, example='"DE"').strip()
            if code not in actors:
                raise ConfigError(f"{where} code {code!r} is not in the actors file; known: {', '.join(sorted(actors))}")
            t.where = f"{where} ({code})"
            old = actors[code]
            extra = {key: string_list(t, key, '["Deutschland"]') for key in ("names", "adjectives", "people", "capitals", "metonyms")}
            actors[code] = replace(old, **{key: tuple(dict.fromkeys((*getattr(old, key), *forms)))
                                           for key, forms in extra.items()})
            where_of[code] = f"[[actor]] #{number}"
        by_name = {o.name: (code, o) for code, a in actors.items() for o in a.officials}
        for number, item in enumerate(array_of_tables(data.get("official", []), name, "official"), start=1):
            where = f"{name}: [[official]] #{number}"
            t = Table(item, labelled(where, item, "name"), {"name", "forms"})
            person = t.get("name", str, required=True, example='"Donald Tusk"')
            if person not in by_name:
                raise ConfigError(f"{where} name {person!r} is no official in the actors file; write the full name as it is there")
            code, official = by_name[person]
            forms = string_list(t, "forms", '["Tuska", "Tuskiem"]', required=True)
            grown = replace(official, aliases=tuple(dict.fromkeys((*official.aliases, *forms))))
            actors[code] = replace(actors[code], officials=tuple(grown if o is official else o for o in actors[code].officials))
        groups = list(self.groups)
        for number, item in enumerate(array_of_tables(data.get("group", []), name, "group"), start=1):
            where = f"{name}: [[group]] #{number}"
            group = _parse_group(item, where, actors)
            groups.append(group)
        suffixes = data.get("language", {}).get("suffixes", [])
        _check_forms(actors, tuple(groups), where_of, name)
        own = string_list(Table(data, name, set(data)), "not_mentions", '["La France insoumise"]')
        return Gazetteer(actors=actors, groups=tuple(groups),
                         not_mentions=tuple(dict.fromkeys((*self.not_mentions, *own))),
                         suffixes=tuple(sorted((str(x) for x in suffixes), key=len, reverse=True)))


_NEXT_WORD = re.compile(r"[ \t]+([^\W\d_]+)(?![\w'’])")
_CALENDAR = {*calendar.day_name, *calendar.month_name} - {""}


def _name_goes_on(text: str, end: int) -> bool:
    """A capitalised word right after a one-word name, nothing between: the name goes on (not a
    day or a month: "Tusk Monday said")."""
    word = _NEXT_WORD.match(text, end)
    return word is not None and word.group(1)[0].isupper() and word.group(1)[1:].islower() \
        and word.group(1) not in _CALENDAR


def _strip_possessive(name: str) -> str:
    for suffix in ("'s", "’s", "'", "’"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _normalise_space(text: str) -> str:
    return " ".join(text.split())


def _lower_article(text: str) -> str:
    return "the" + text[3:] if text.startswith("The ") else text


# --- loading ---------------------------------------------------------------

_CACHE: dict[Path, tuple[tuple[int, int], Gazetteer]] = {}
_FIX = "check [stance] in the config or create it"


def load_gazetteer(path: Path | str) -> Gazetteer:
    """Read and validate an actors file; cached until the file changes (mtime, size)."""
    return load_cached(_CACHE, Path(path), lambda p: parse_gazetteer(read_toml(p, "actors", fix=_FIX), p))


def parse_gazetteer(data: dict[str, Any], path: Path) -> Gazetteer:
    name = str(path)
    top = Table(data, name, {"actor", "group", "not_mentions"})
    items = array_of_tables(top.data.get("actor", []), name, "actor")
    if not items:
        raise ConfigError(f"{name}: no [[actor]] tables; add at least one, such as [[actor]] code = \"DE\"")

    actors: dict[str, Actor] = {}
    where_of: dict[str, str] = {}
    for number, item in enumerate(items, start=1):
        actor = _parse_actor(item, f"{name}: [[actor]] #{number}")
        if actor.code in actors:
            raise ConfigError(
                f"{name}: [[actor]] #{number} ({actor.code}) code {actor.code!r} is already used by "
                f"{where_of[actor.code]}; codes must be unique, merge the two tables"
            )
        actors[actor.code] = actor
        where_of[actor.code] = f"[[actor]] #{number}"

    groups = tuple(
        _parse_group(item, f"{name}: [[group]] #{number}", actors)
        for number, item in enumerate(array_of_tables(top.data.get("group", []), name, "group"), start=1)
    )
    not_mentions = string_list(top, "not_mentions", '["Washington Post"]')

    _check_forms(actors, groups, where_of, name)
    return Gazetteer(actors=actors, groups=groups, not_mentions=not_mentions)


def array_of_tables(value: Any, name: str, key: str) -> list[Any]:
    if isinstance(value, dict):
        raise ConfigError(f"{name}: '{key}' must be an array of tables: write [[{key}]], not [{key}]")
    if not isinstance(value, list):
        raise ConfigError(f"{name}: '{key}' must be an array of tables [[{key}]], found {value!r}")
    return value


def string_list(table: Table, key: str, example: str, *, required: bool = False) -> tuple[str, ...]:
    values = table.get(key, list, [], required=required, example=example)
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"{table.where} key {key!r} has {value!r}; expected non-empty strings, such as {key} = {example}"
            )
    if required and not values:
        raise ConfigError(f"{table.where} key {key!r} is empty; add at least one, such as {key} = {example}")
    return tuple(v.strip() for v in values)


def labelled(where: str, item: Any, key: str) -> str:
    """'[[actor]] #12' -> '[[actor]] #12 (DE)' when the table has a usable `key`, so every
    later message says which entry it is about."""
    value = item.get(key) if isinstance(item, dict) else None
    return f"{where} ({value.strip()})" if isinstance(value, str) and value.strip() else where


def _parse_actor(item: Any, where: str) -> Actor:
    t = Table(item, labelled(where, item, "code"),
               {"code", "kind", "names", "adjectives", "people", "capitals", "metonyms", "official"})
    t.where = where
    code = t.get("code", str, required=True, example='"DE"').strip()
    if not (_CODE.match(code) or code in BODIES):
        raise ConfigError(
            f"{where} key 'code' is {code!r}; expected an ISO 3166-1 alpha-2 code such as \"DE\", "
            f"or one of {', '.join(BODIES)}"
        )
    t.where = f"{where} ({code})"
    kind = t.get("kind", str, "body" if code in BODIES else "state", example='"state"')
    if kind not in KINDS:
        raise ConfigError(f"{t.where} key 'kind' is {kind!r}; expected one of: {', '.join(KINDS)}")
    officials_raw = array_of_tables(t.data.get("official", []), t.where, "actor.official")
    officials = tuple(
        _parse_official(raw, f"{t.where} [[actor.official]] #{number}", code)
        for number, raw in enumerate(officials_raw, start=1)
    )
    return Actor(
        code=code,
        kind=kind,
        names=string_list(t, "names", '["Germany"]', required=True),
        adjectives=string_list(t, "adjectives", '["German"]'),
        people=string_list(t, "people", '["Germans"]'),
        capitals=string_list(t, "capitals", '["Berlin"]'),
        metonyms=string_list(t, "metonyms", '["the Chancellery"]'),
        officials=officials,
    )


def _parse_official(item: Any, where: str, code: str) -> Official:
    t = Table(item, labelled(where, item, "name"),
               {"name", "aliases", "office", "from", "to", "government", "uncertain", "note"})
    t.where = where
    person = t.get("name", str, required=True, example='"Olaf Scholz"').strip()
    if not person:
        raise ConfigError(f"{where} key 'name' is empty; give the person's full name")
    t.where = f"{where} ({person})"
    office = t.get("office", str, required=True, example='"chancellor"').strip()
    start = _date(t, "from")
    end = _date(t, "to")
    if start and end and end < start:
        raise ConfigError(
            f"{t.where} key 'to' is {end.isoformat()}, before 'from' {start.isoformat()}; swap or fix the dates"
        )
    t.get("note", str)
    return Official(
        name=person,
        aliases=string_list(t, "aliases", '["Scholz"]'),
        office=office,
        actor=code,
        start=start,
        end=end,
        government=t.get("government", bool, True, example="true"),
        uncertain=t.get("uncertain", bool, False, example="false"),
    )


def _date(t: Table, key: str) -> date | None:
    value = t.data.get(key)
    if value is None:
        return None
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(
        f"{t.where} key {key!r} is {value!r}; expected a date YYYY-MM-DD, such as {key} = \"2021-12-08\""
        + (" (omit 'to' while the person is still in office)" if key == "to" else "")
    )


def _parse_group(item: Any, where: str, actors: dict[str, Actor]) -> Group:
    t = Table(item, labelled(where, item, "name"), {"name", "aliases", "members"})
    t.where = where
    group_name = t.get("name", str, required=True, example='"Baltic states"').strip()
    t.where = f"{where} ({group_name})"
    members = string_list(t, "members", '["EE", "LV", "LT"]', required=True)
    for member in members:
        if member not in actors:
            raise ConfigError(
                f"{t.where} key 'members' has {member!r}, which is not an actor code; "
                f"use one of the [[actor]] codes or add an [[actor]] with code = \"{member}\""
            )
    return Group(name=group_name, aliases=string_list(t, "aliases", '["the Baltics"]'), members=members)


def _forms(actors: dict[str, Actor], groups: tuple[Group, ...]):
    """(key, codes, via, owner) for every undated form; "The X" is keyed as "the X"."""
    for actor in actors.values():
        for via, forms in (("name", actor.names), ("capital", actor.capitals), ("metonym", actor.metonyms),
                           ("adjective", actor.adjectives), ("people", actor.people)):
            for form in forms:
                yield _lower_article(form), (actor.code,), via, actor.code
    for group in groups:
        for form in dict.fromkeys((group.name, *group.aliases)):
            yield _lower_article(form), group.members, "group", None


def _build_terms(actors: dict[str, Actor], groups: tuple[Group, ...]) -> dict[str, Term]:
    terms: dict[str, Term] = {}
    for key, codes, via, _ in _forms(actors, groups):
        terms.setdefault(key, Term(key, codes, via))
    return terms


def _check_forms(actors: dict[str, Actor], groups: tuple[Group, ...], where_of: dict[str, str], name: str) -> None:
    """The same form under two actors (or a group) would make a mention ambiguous: refuse it."""
    seen: dict[str, tuple[str | None, str, str]] = {}
    for key, codes, via, owner in _forms(actors, groups):
        if key not in seen:
            seen[key] = (owner, via, where_of.get(owner, "") if owner else "")
            continue
        first_owner, first_via, first_where = seen[key]
        if owner is not None and first_owner == owner:
            continue  # "UK" as a name and as an adjective of the same actor
        if owner is None:
            group = next(g for g in groups if key in {_lower_article(f) for f in (g.name, *g.aliases)})
            raise ConfigError(
                f"{name}: [[group]] ({group.name}) alias {key!r} already names "
                f"{first_owner or 'another group'}; rename the alias or remove it"
            )
        key_name = via if via == "people" else via + "s"
        raise ConfigError(
            f"{name}: {where_of[owner]} ({owner}) key {key_name!r} has {key!r}, which {first_where} "
            f"({first_owner}) already lists as a {first_via}; one form must name one actor: keep it under one of them"
        )


def _index_officials(actors: dict[str, Actor]) -> dict[str, tuple[Official, ...]]:
    index: dict[str, list[Official]] = {}
    for actor in actors.values():
        for official in actor.officials:
            for form in official.forms:
                for key in dict.fromkeys((form, fold(form))):
                    bucket = index.setdefault(key, [])
                    if official not in bucket:
                        bucket.append(official)
    return {key: tuple(value) for key, value in index.items()}


def _person_forms(actors: dict[str, Actor]) -> list[str]:
    """Forms to find in text: as written, plus unaccented full names ("Gitanas Nauseda").

    Single words are not folded on purpose: "Støre" would become the word "Store".
    """
    forms: list[str] = []
    for actor in actors.values():
        for official in actor.officials:
            for form in official.forms:
                forms.append(form)
                if " " in form:
                    forms.append(fold(form))
    return forms


def _compile(forms: list[str], suffixes: tuple[str, ...] = ()) -> re.Pattern[str] | None:
    """One case-sensitive pattern for all forms, built as a trie so it stays fast on long texts;
    `suffixes` are endings a form may take ("Berlins", "Tuska")."""
    # "the UK" also opens a sentence as "The UK".
    forms = [f for form in forms for f in (form, "The" + form[3:] if form.startswith("the ") else "") if f]
    forms = list(dict.fromkeys(forms))
    if not forms:
        return None
    body = trie_regex([r"\s+" if ch == " " else re.escape(ch) for ch in form] for form in forms)
    ending = "(?:" + "|".join(re.escape(x) for x in suffixes) + ")?" if suffixes else ""
    return re.compile(r"(?<![\w.])" + body + ending + r"(?!\w)(?!\.\w)")


def trie_regex(token_lists: Iterable[Sequence[str]]) -> str:
    """A regex matching any of the token sequences (each token a regex fragment), longest first.

    Python's ``re`` tries alternatives one by one; sharing prefixes keeps a few
    hundred phrases fast on a 5 MB text. A leading character-class lookahead lets
    the scan skip positions that cannot start any phrase.
    """
    trie: dict[str, Any] = {}
    for tokens in token_lists:
        node = trie
        for token in tokens:
            node = node.setdefault(token, {})
        node[""] = {}
    firsts = [token for token in trie if token]
    if not firsts:
        return "(?!)"
    if all(len(t) == 1 or (len(t) == 2 and t[0] == "\\") for t in firsts):
        return "(?=[" + "".join(firsts).replace("]", "\\]") + "])" + _trie_node(trie)
    return _trie_node(trie)


def _trie_node(node: dict[str, Any]) -> str:
    ends_here = "" in node
    branches = [token + _trie_node(node[token]) for token in sorted(k for k in node if k)]
    if not branches:
        return ""
    inner = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Longest match first: try to continue, and fall back to ending here.
    return f"(?:{inner})?" if ends_here else inner
