"""Filters in a few words: "contacts whose primary company is in Sweden", "deals with more
than 5 contacts", compiled into ``listing.Condition``s (SQL on the record table ``r``,
every value a bound parameter).

The language (keywords and object names in any case; an object singular or plural)::

    filter   := either ("or" either)*
    either   := clause ("and" clause)*
    clause   := "not" clause | "(" filter ")"
              | FIELD OP VALUE                  job_title = CTO, name ~ acme, amount > 5000
              | FIELD "is" ["not"] "empty"      email is empty
              | "with" REF ["as" LABEL]         with deal:7, with acme.se as Employer
              | "count(" OBJECT ["[" LABEL "]"] ")" OP N     count(contact) = 0
    FIELD    := PROP                            a property of the listed record
              | "primary." PROP                 of its primary company
              | OBJECT ["[" LABEL "]"] "." PROP of any associated OBJECT record (with LABEL)
    OP       := "=" | "!=" | "~" | "!~" | "<" | ">" | "<=" | ">="

- ``=`` and ``!=`` ignore case; ``~`` is "contains", ignoring case, and ``!~`` "does not
  contain". ``< > <= >=`` compare numbers as numbers when VALUE is a number (then only
  values written as numbers count), otherwise text as text (ISO dates compare rightly);
  an empty value is never less or greater than anything. A missing property is empty.
- ``name`` is the record's name as the index shows it.
- VALUE is the words up to the next ``and``/``or`` (or a closing parenthesis): ``country
  = United States``. Quote it ("...", with \\" for a quote) to hold those words,
  parentheses or the empty text.
- LABEL is the word the listed record's page shows beside the other record: a contact
  with ``deal[Decision maker].stage !~ closed`` is the Decision maker on an open deal;
  ``contact[Manager].job_title = CEO`` lists the contacts whose manager is a CEO.
- A clause about associated records holds when at least one of them matches
  (``primary.country != Sweden`` needs a primary company; ``not primary.country =
  Sweden`` does not). ``count(...)`` counts the associated records (with that label).
- ``with REF``: REF as the command line names records (``deal:7``, an email, a domain).

A mistake in the text is an ``InvalidValue`` naming where it is and what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rolodex.crm import labels, objects, records
from rolodex.crm.errors import InvalidValue
from rolodex.crm.listing import LOWER_COLUMNS, Condition
from rolodex.crm.objects import ObjectInfo
from rolodex.i18n import _
from rolodex.store import raw
from rolodex.store.database import NUMBER_PATTERN, is_sqlite

OPERATORS = ("!=", "!~", "<=", ">=", "=", "~", "<", ">")  # longest first, as read
ORDERING = ("<", ">", "<=", ">=")
COUNT_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
# Characters that end a word: the operators, brackets and quotes.
_STOP = set('()[]"=!~<>')
_PROPERTY = re.compile(r"^[a-z][a-z0-9_]*$")
_NUMBER = re.compile(NUMBER_PATTERN)
# Fewer matching records of the other object than this: find the listed ones from them.
RARE = 500


# ---------------------------------------------------------------- the syntax tree


@dataclass(frozen=True)
class Target:
    """Whose property a clause reads: the listed record's, its primary company's, or an
    associated record's of ``object`` (carrying ``label``)."""

    kind: str  # "self" | "primary" | "object"
    object: str = ""
    label: str | None = None


SELF = Target("self")


@dataclass(frozen=True)
class Compare:
    target: Target
    key: str
    op: str
    value: str


@dataclass(frozen=True)
class Empty:
    target: Target
    key: str
    empty: bool  # False: "is not empty"


@dataclass(frozen=True)
class With:
    ref: str
    label: str | None = None


@dataclass(frozen=True)
class Count:
    object: str
    label: str | None
    op: str
    number: int


@dataclass(frozen=True)
class Not:
    clause: Node


@dataclass(frozen=True)
class All:
    clauses: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    clauses: tuple[Node, ...]


Node = Compare | Empty | With | Count | Not | All | AnyOf


# ---------------------------------------------------------------- reading the text


def looks_like_expression(text: str) -> bool:
    """Whether an index's filter text is a filter rather than the start of a name (a
    name holds no operator, and "with" alone starts names such as "With Love Ltd")."""
    folded = " ".join(text.split()).casefold()
    if any(c in folded for c in "=~<>"):
        return True
    if re.match(r"^(not )?count ?\(", folded) or re.search(r"\bis (not )?empty\b", folded):
        return True
    return re.match(r"^(not )?with \S*[:@.]", folded) is not None


def parse(text: str) -> Node:
    """The filter's syntax tree (names are checked when it is compiled)."""
    return _Parser(text).filter()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0  # open parentheses: a closing one ends a value

    # -- errors

    def fail(self, expected: str, at: int | None = None) -> InvalidValue:
        at = self.pos if at is None else at
        word = self._word_at(at)
        found = f"'{word}'" if word else _("the end")
        return InvalidValue(
            _(
                "filter '{text}': at character {position}: expected {expected}, found {found}"
            ).format(text=self.text, position=at + 1, expected=expected, found=found)
        )

    def _word_at(self, at: int) -> str:
        rest = self.text[at:]
        if not rest:
            return ""
        if rest[0] in _STOP:
            for op in OPERATORS:
                if rest.startswith(op):
                    return op
            return rest[0]
        return re.split(r"[\s()\[\]\"=!~<>]", rest, maxsplit=1)[0]

    # -- characters and words

    def space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.space()
        return self.pos >= len(self.text)

    def peek(self) -> str:
        self.space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def word_end(self, start: int) -> int:
        end = start
        while end < len(self.text) and not (self.text[end].isspace() or self.text[end] in _STOP):
            end += 1
        return end

    def peek_word(self) -> str:
        self.space()
        return self.text[self.pos : self.word_end(self.pos)]

    def take_word(self) -> str:
        word = self.peek_word()
        self.pos += len(word)
        return word

    def keyword(self, word: str) -> bool:
        if self.peek_word().casefold() == word:
            self.pos += len(word)
            return True
        return False

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail(f"'{char}'")
        self.pos += 1

    def operator_follows(self, word: str) -> bool:
        """Whether ``word`` (at the position) is followed by an operator or ``is``: then
        it is a property's name, not a keyword (a property may be called "with")."""
        after = self.pos + len(word)
        rest = self.text[after:].lstrip()
        return rest.startswith(OPERATORS) or re.match(r"is\b", rest, re.I) is not None

    # -- the grammar

    def filter(self) -> Node:
        node = self.either()
        if not self.at_end():
            raise self.fail(_("'and', 'or' or the end"))
        return node

    def either(self) -> Node:
        clauses = [self.both()]
        while self.keyword("or"):
            clauses.append(self.both())
        return clauses[0] if len(clauses) == 1 else AnyOf(tuple(clauses))

    def both(self) -> Node:
        clauses = [self.clause()]
        while self.keyword("and"):
            clauses.append(self.clause())
        return clauses[0] if len(clauses) == 1 else All(tuple(clauses))

    def clause(self) -> Node:
        if self.at_end():
            raise self.fail(_("a clause (such as country = Sweden)"))
        if self.peek() == "(":
            self.pos += 1
            self.depth += 1
            node = self.either()
            self.expect(")")
            self.depth -= 1
            return node
        word = self.peek_word()
        folded = word.casefold()
        if folded == "not" and not self.operator_follows(word):
            self.pos += len(word)
            return Not(self.clause())
        if folded == "with" and not self.operator_follows(word):
            self.pos += len(word)
            return self.with_clause()
        if folded == "count" and self.text[self.pos + len(word) :].lstrip().startswith("("):
            self.pos += len(word)
            return self.count_clause()
        return self.field_clause()

    def with_clause(self) -> With:
        ref = self.value(_("a record (such as deal:7, an email or a domain)"), one_word=True)
        label = None
        if self.keyword("as"):
            label = self.value(_("a label"))
        return With(ref, label)

    def count_clause(self) -> Count:
        self.expect("(")
        start = self.pos
        name = self.take_word()
        if not name:
            raise self.fail(_("an object (such as contact)"))
        if "." in name:
            raise self.fail(_("an object (such as contact)"), at=start)
        label = self.label() if self.peek() == "[" else None
        self.expect(")")
        self.space()
        op = self.operator(COUNT_OPERATORS)
        self.space()
        start = self.pos
        digits = self.take_word()
        if not digits.isascii() or not digits.isdigit():
            raise self.fail(_("a whole number"), at=start)
        return Count(name, label, op, int(digits))

    def label(self) -> str:
        self.expect("[")
        self.space()
        if self.peek() == '"':
            word = self.quoted()
            self.expect("]")
        else:
            end = self.text.find("]", self.pos)
            if end < 0:
                raise self.fail("']'", at=len(self.text))
            word = " ".join(self.text[self.pos : end].split())
            self.pos = end + 1
        if not word:
            raise self.fail(_("a label"), at=self.pos - 1)
        return word

    def field_clause(self) -> Node:
        start = self.pos
        word = self.take_word()
        if not word:
            raise self.fail(_("a property (such as country) or a clause"))
        target = SELF
        key = word
        if self.text[self.pos : self.pos + 1] == "[":  # OBJECT[LABEL].PROP
            label = self.label()
            rest = self.text[self.pos : self.word_end(self.pos)]
            if not rest.startswith(".") or len(rest) < 2:
                raise self.fail(_("'.' and a property (such as deal[Champion].stage)"))
            self.pos += len(rest)
            target, key = Target("object", word, label), rest[1:]
        elif "." in word:
            head, _dot, key = word.partition(".")
            if not head or not key:
                raise self.fail(_("a property (such as country) or a clause"), at=start)
            primary = head.casefold() == "primary"
            target = Target("primary") if primary else Target("object", head)
        key = key.casefold()
        if not _PROPERTY.match(key):
            raise self.fail(_("a property (such as country) or a clause"), at=start)
        self.space()
        if self.keyword("is"):
            negated = self.keyword("not")
            if not self.keyword("empty"):
                raise self.fail("'empty'")
            return Empty(target, key, empty=not negated)
        op = self.operator(OPERATORS)
        value = self.value(_("a value"))
        return Compare(target, key, op, value)

    def operator(self, allowed: tuple[str, ...]) -> str:
        self.space()
        for op in OPERATORS:
            if op in allowed and self.text.startswith(op, self.pos):
                self.pos += len(op)
                return op
        if allowed is COUNT_OPERATORS:
            raise self.fail(_("a comparison ({operators})").format(operators=" ".join(allowed)))
        raise self.fail(
            _("an operator ({operators}) or 'is empty'").format(operators=" ".join(OPERATORS))
        )

    def value(self, expected: str, *, one_word: bool = False) -> str:
        """A quoted text, or the words up to ``and``/``or``, a closing parenthesis
        inside parentheses, or the end (``one_word``: only the next word)."""
        if self.peek() == '"':
            return self.quoted()
        words: list[str] = []
        while not self.at_end():
            end = self.pos
            while end < len(self.text) and not self.text[end].isspace():
                if self.depth and self.text[end] == ")":
                    break
                end += 1
            word = self.text[self.pos : end]
            if not word or (words and word.casefold() in ("and", "or")):
                break
            if not words and word.casefold() in ("and", "or"):
                break
            words.append(word)
            self.pos = end
            if one_word:
                break
        if not words:
            raise self.fail(expected)
        return " ".join(words)

    def quoted(self) -> str:
        start = self.pos
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.fail(
            _('a closing quote (") for the one at character {position}').format(position=start + 1),
            at=len(self.text),
        )


# ---------------------------------------------------------------- compiling


def conditions(info: ObjectInfo, text: str) -> list[Condition]:
    """The filter as conditions on the listed records of ``info`` (one per clause joined
    by a top-level ``and``); an empty text is no condition."""
    if not text.strip():
        return []
    node = parse(text)
    parts = node.clauses if isinstance(node, All) else (node,)
    compiler = _Compiler(info)
    return [Condition(*compiler.sql(part)) for part in parts]


def find_object(word: str) -> ObjectInfo:
    """An object by its key, singular or plural, in any case ("Companies", "deal")."""
    wanted = word.casefold()
    types = objects.all_types()
    for info in types:
        names = (info.key, info.singular, info.plural, info.shown_singular, info.shown_plural)
        if wanted in {n.casefold() for n in names}:
            return info
    raise InvalidValue(
        _("filter: unknown object '{word}' (objects: {known})").format(
            word=word, known=", ".join(info.key for info in types)
        )
    )


Sql = tuple[str, tuple]


class _Compiler:
    def __init__(self, info: ObjectInfo) -> None:
        self.info = info
        self.sqlite = is_sqlite()

    def sql(self, node: Node) -> Sql:
        if isinstance(node, All | AnyOf):
            joiner = " AND " if isinstance(node, All) else " OR "
            parts = [self.sql(part) for part in node.clauses]
            return (
                "(" + joiner.join(f"({s})" for s, _p in parts) + ")",
                tuple(p for _s, params in parts for p in params),
            )
        if isinstance(node, Not):
            inner, params = self.sql(node.clause)
            return f"NOT ({inner})", params
        if isinstance(node, With):
            return self.with_sql(node)
        if isinstance(node, Count):
            return self.count_sql(node)
        return self.on_target(node)

    # -- properties

    def on_target(self, node: Compare | Empty) -> Sql:
        target = node.target
        if target.kind == "self":
            return self.property_sql(self.info, "r", node)
        if target.kind == "primary":
            if not self.info.has_primary_company:
                raise InvalidValue(
                    _("filter: {objects} have no primary company").format(objects=self.info.key)
                )
            other, pairs, primary = objects.by_key(objects.COMPANY), [], True
        else:
            other = find_object(target.object)
            pairs, primary = self.label_pairs(other, target.label), False
        inner, params = self.property_sql(other, "o", node)
        if self.rare(other, inner, params):
            return self.from_others(other, inner, params, pairs, primary)
        return self.per_record(other, inner, params, pairs, primary)

    def rare(self, other: ObjectInfo, inner: str, params: tuple) -> bool:
        """Whether fewer than ``RARE`` records of ``other`` match: then the listed records
        are found from them, else by walking the listed records in order, which finds a
        page at once when matches are common but reads every record when there are none
        (4 s for "primary.country = Iceland" among 500,000 contacts)."""
        found = raw.fetchone(
            "SELECT count(*) FROM (SELECT 1 FROM record o WHERE o.object_type_id = ? "
            f"AND o.deleted_at IS NULL AND o.merged_into_id IS NULL AND ({inner}) LIMIT ?) AS m",
            [other.id, *params, RARE],
        )
        return found is not None and int(found[0]) < RARE

    def per_record(
        self, other: ObjectInfo, inner: str, params: tuple, pairs: list, primary: bool
    ) -> Sql:
        """EXISTS for each listed record: an associated ``other`` record matches."""
        sides = []
        for r_is_a in (True, False):
            label_sql, label_params = self.label_sql(pairs, r_is_a)
            near, far = ("a", "b") if r_is_a else ("b", "a")
            flag = f" AND s.{near}_primary_{far}" if primary else ""
            sides.append(
                (
                    f"EXISTS (SELECT 1 FROM association s JOIN record o ON o.id = s.{far}_id "
                    f"WHERE s.{near}_id = r.id AND s.{far}_type_id = ?{flag}{label_sql} "
                    f"AND ({inner}))",
                    (other.id, *label_params, *params),
                )
            )
        return " OR ".join(s for s, _p in sides), sides[0][1] + sides[1][1]

    def from_others(
        self, other: ObjectInfo, inner: str, params: tuple, pairs: list, primary: bool
    ) -> Sql:
        """The listed records associated with a matching ``other`` record, read from them."""
        sides = []
        for r_is_a in (True, False):
            label_sql, label_params = self.label_sql(pairs, r_is_a)
            near, far = ("a", "b") if r_is_a else ("b", "a")
            flag = f" AND s.{near}_primary_{far}" if primary else ""
            sides.append(
                (
                    f"SELECT s.{near}_id FROM record o JOIN association s ON s.{far}_id = o.id "
                    "WHERE o.object_type_id = ? AND o.deleted_at IS NULL "
                    f"AND o.merged_into_id IS NULL AND ({inner}) AND s.{near}_type_id = ?"
                    f"{flag}{label_sql}",
                    (other.id, *params, self.info.id, *label_params),
                )
            )
        return (
            f"r.id IN ({sides[0][0]} UNION ALL {sides[1][0]})",
            sides[0][1] + sides[1][1],
        )

    def property_sql(self, info: ObjectInfo, alias: str, node: Compare | Empty) -> Sql:
        raw, raw_params = self.raw_value(info, alias, node.key)
        if isinstance(node, Empty):
            return (f"{raw} = ''" if node.empty else f"{raw} <> ''"), raw_params
        op, value = node.op, node.value
        if op in ("=", "!="):
            column = LOWER_COLUMNS.get((info.key, node.key))
            if column is not None and op == "=" and value.strip():  # its index
                return (
                    f"({alias}.{column} = ? AND {alias}.{column} IS NOT NULL)",
                    (value.strip().lower(),),
                )
            folded, folded_params, needle = self.folded_value(info, alias, node.key, value)
            return f"{folded} {'=' if op == '=' else '<>'} {needle}", (
                *folded_params,
                value_of(info, node.key, value, self.sqlite),
            )
        if op in ("~", "!~"):
            folded, folded_params, needle = self.folded_value(info, alias, node.key, value)
            find = "instr" if self.sqlite else "strpos"
            test = f"{find}({folded}, {needle}) > 0"
            return (test if op == "~" else f"NOT ({test})"), (
                *folded_params,
                value_of(info, node.key, value, self.sqlite),
            )
        if _NUMBER.match(value.strip()):
            number = value.strip()
            if self.sqlite:
                return f"COALESCE(rolodex_number({raw}) {op} ?, 0)", (
                    *raw_params,
                    float(number),
                )
            return (
                f"COALESCE(CASE WHEN {raw} ~ ? THEN CAST({raw} AS numeric) {op} "
                "CAST(? AS numeric) END, FALSE)",
                (*raw_params, NUMBER_PATTERN, *raw_params, number),
            )
        collate = "" if self.sqlite else ' COLLATE "C"'
        return f"{raw} <> '' AND {raw}{collate} {op} ?", (*raw_params, *raw_params, value)

    def raw_value(self, info: ObjectInfo, alias: str, key: str) -> Sql:
        """The property as stored (empty when missing)."""
        if key == "name":
            return f"{alias}.name", ()
        if info.property(key) is None:
            raise InvalidValue(
                _("{object} has no property '{key}' (properties: {keys})").format(
                    object=info.key,
                    key=key,
                    keys=", ".join(["name", *(p.key for p in info.properties)]),
                )
            )
        if self.sqlite:
            return f"COALESCE(json_extract({alias}.properties, ?), '')", (f'$."{key}"',)
        return f"COALESCE({alias}.properties::json ->> ?, '')", (key,)

    def folded_value(self, info: ObjectInfo, alias: str, key: str, value: str) -> tuple:
        """The property in one case, its parameters, and the placeholder for the value
        (which ``value_of`` gives in the same case)."""
        if key == "name":
            return f"{alias}.name_key", (), "?"  # casefolded when written
        raw, params = self.raw_value(info, alias, key)
        if self.sqlite:
            return f"rolodex_casefold({raw})", params, "?"
        return f"lower({raw})", params, "lower(?)"

    # -- associations

    def label_pairs(self, other: ObjectInfo, word: str | None) -> list[tuple[int, bool]]:
        """(label id, the listed record is its from record) for each label that shows
        ``word`` beside an ``other`` record on a listed record's page."""
        if word is None:
            return []
        wanted = labels.name_key(word)
        pairs, words = [], set()
        for label in labels.all_by_id().values():
            for viewer_is_from, near, far in (
                (True, "from_type", "to_type"),
                (False, "to_type", "from_type"),
            ):
                if getattr(label, near) != self.info.key or getattr(label, far) != other.key:
                    continue
                shown = label.seen_from(viewer_is_from)
                words.add(shown)
                if labels.name_key(shown) == wanted:
                    pairs.append((label.id, viewer_is_from))
        if not pairs:
            raise InvalidValue(
                _("filter: no label '{word}' for {a} and {b} (labels: {known})").format(
                    word=word,
                    a=self.info.key,
                    b=other.key,
                    known=", ".join(sorted(words, key=str.casefold)) or _("none defined"),
                )
            )
        return pairs

    def label_sql(self, pairs: list[tuple[int, bool]], r_is_a: bool) -> Sql:
        """`` AND`` the association ``s`` carries one of the labels (stored ``forward``
        when its ``a`` record is the label's from record)."""
        if not pairs:
            return "", ()
        tests, params = [], []
        for label_id, viewer_is_from in pairs:
            tests.append("(l.label_id = ? AND l.forward = ?)")
            params += [label_id, viewer_is_from if r_is_a else not viewer_is_from]
        return (
            " AND EXISTS (SELECT 1 FROM association_label l WHERE l.association_id = s.id "
            f"AND ({' OR '.join(tests)}))",
            tuple(params),
        )

    def with_sql(self, node: With) -> Sql:
        """The records associated with one record: read from its associations (as
        --associated-with), which costs the same for 3 and for 50,000 of them."""
        record = records.resolve(node.ref)
        other = objects.by_key(record.type)
        pairs = self.label_pairs(other, node.label)
        # The listed record is s.b in the first part, s.a in the second.
        b_labels, b_params = self.label_sql(pairs, r_is_a=False)
        a_labels, a_params = self.label_sql(pairs, r_is_a=True)
        return (
            f"r.id IN (SELECT s.b_id FROM association s WHERE s.a_id = ?{b_labels} "
            f"UNION ALL SELECT s.a_id FROM association s WHERE s.b_id = ?{a_labels})",
            (record.id, *b_params, record.id, *a_params),
        )

    def count_sql(self, node: Count) -> Sql:
        other = find_object(node.object)
        pairs = self.label_pairs(other, node.label)
        sides = []
        for r_is_a in (True, False):
            label_sql, label_params = self.label_sql(pairs, r_is_a)
            near, far_type = ("a", "b") if r_is_a else ("b", "a")
            sides.append(
                (
                    f"SELECT 1 FROM association s WHERE s.{near}_id = r.id "
                    f"AND s.{far_type}_type_id = ?{label_sql}",
                    (other.id, *label_params),
                )
            )
        (a_sql, a_params), (b_sql, b_params) = sides
        op, n = node.op, node.number
        none = (op == "=" and n == 0) or (op == "<" and n == 1) or (op == "<=" and n == 0)
        some = (op in (">", "!=") and n == 0) or (op == ">=" and n == 1)
        if none:
            return f"NOT EXISTS ({a_sql}) AND NOT EXISTS ({b_sql})", a_params + b_params
        if some:
            return f"EXISTS ({a_sql}) OR EXISTS ({b_sql})", a_params + b_params
        if op == ">=" and n == 0:
            return "1 = 1", ()
        if op == "<" and n == 0:
            return "1 = 0", ()
        # Each side counted up to n + 1 only: enough to compare, and a company with
        # 50,000 contacts is not counted through.
        cap = n + 1
        return (
            f"(SELECT count(*) FROM ({a_sql} LIMIT ?) AS ca) + "
            f"(SELECT count(*) FROM ({b_sql} LIMIT ?) AS cb) {op} ?",
            (*a_params, cap, *b_params, cap, n),
        )


def value_of(info: ObjectInfo, key: str, value: str, sqlite: bool) -> str:
    """The value a folded comparison binds: casefolded as name_key and SQLite's
    rolodex_casefold() are, as typed for PostgreSQL's lower(?)."""
    if key == "name" or sqlite:
        return value.casefold()
    return value
