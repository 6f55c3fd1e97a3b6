"""Datadog search syntax for listing deployments and failures: tokenizer and recursive-descent parser.

Grammar, loosest binding first. ``AND`` and juxtaposition bind tighter than ``OR``, as in Datadog, so
``env:a OR env:b team:c`` means ``env:a OR (env:b AND team:c)``::

    query  := or?                      an empty or blank query matches everything
    or     := and ("OR" and)*
    and    := unary (["AND"] unary)*
    unary  := "NOT" unary | "-" unary | atom        "-" must touch what it negates
    atom   := "(" or ")" | key ":" value | key ":(" values ")"
    key    := service | services | env | team | version | severity | repository_id | git.repository_id | @tag

Inside ``key:( ... )`` the same operators and parentheses combine bare or quoted values, each standing for
``key:value``. Operators are upper case; a lower-case ``and`` is an ordinary word.

A bare value runs to whitespace, ``(``, ``)`` or ``"``; a backslash makes the next character literal (``\\*``,
``\\ ``, ``\\(``); an unescaped ``*`` is a wildcard. A double-quoted value is a literal phrase: ``*`` inside
quotes is not a wildcard (as in Datadog); ``\\"`` and ``\\\\`` escape. Matching semantics: see ``query_ast``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from doralens.domain.query_ast import And, Field, MatchAll, Node, Not, Or, Pattern, TagTerm, Term
from doralens.errors import QuerySyntaxError

MAX_QUERY_LENGTH = 4096
MAX_DEPTH = 32
# PostgreSQL plans ANDed EXISTS subqueries (custom tags, failure services) in time that grows steeply with
# their number: about 0.2 s for 64 of them, 19 s for 256. A term cap keeps one request from pinning a backend.
MAX_TERMS = 64

FACETS: dict[str, Field] = {
    "service": "service",
    "services": "service",
    "env": "env",
    "team": "team",
    "version": "version",
    "severity": "severity",
    "repository_id": "repository_id",
    "git.repository_id": "repository_id",
}
_KEYWORDS = frozenset({"AND", "OR", "NOT"})
_PUNCTUATION: dict[str, Literal["(", ")", "-"]] = {"(": "(", ")": ")", "-": "-"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["word", "quoted", "(", ")", "-", "eof"]
    start: int
    end: int
    chars: tuple[tuple[str, bool], ...] = ()  # (character, literal) pairs; literal means escaped or quoted

    @property
    def keyword(self) -> str | None:
        text = "".join(c for c, _ in self.chars)
        plain = self.kind == "word" and not any(literal for _, literal in self.chars)
        return text if plain and text in _KEYWORDS else None

    def describe(self) -> str:
        if self.kind == "eof":
            return "end of query"
        if self.kind == "quoted":
            return "a quoted value"
        text = "".join(c for c, _ in self.chars) if self.kind == "word" else self.kind
        return repr(text if len(text) <= 30 else text[:27] + "...")


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
        elif char in _PUNCTUATION:
            # A dash negates only at the start of a token; inside a word (``web-api``) it is plain.
            tokens.append(_Token(_PUNCTUATION[char], i, i + 1))
            i += 1
        elif char == '"':
            chars, end = _scan_quoted(query, i)
            tokens.append(_Token("quoted", i, end, chars))
            i = end
        else:
            start, word = i, []
            while i < n and not query[i].isspace() and query[i] not in '()"':
                if query[i] == "\\":
                    if i + 1 >= n:
                        raise QuerySyntaxError("dangling backslash: expected a character to escape", i)
                    word.append((query[i + 1], True))
                    i += 2
                else:
                    word.append((query[i], False))
                    i += 1
            tokens.append(_Token("word", start, i, tuple(word)))
    tokens.append(_Token("eof", n, n))
    return tokens


def _scan_quoted(query: str, start: int) -> tuple[tuple[tuple[str, bool], ...], int]:
    chars: list[tuple[str, bool]] = []
    i = start + 1
    while i < len(query):
        if query[i] == '"':
            return tuple(chars), i + 1
        if query[i] == "\\" and i + 1 < len(query):
            i += 1
        chars.append((query[i], True))
        i += 1
    raise QuerySyntaxError("unclosed quote: expected a closing '\"'", start)


def _pattern(chars: tuple[tuple[str, bool], ...]) -> Pattern:
    segments: list[str] = []
    current: list[str] = []
    after_star = False
    for char, literal in chars:
        if char == "*" and not literal:
            if not after_star:  # consecutive stars mean the same as one
                segments.append("".join(current))
                current, after_star = [], True
        else:
            current.append(char)
            after_star = False
    segments.append("".join(current))
    return Pattern(tuple(segments))


def _join(kind: type[And] | type[Or], parts: list[Node]) -> Node:
    if len(parts) == 1:
        return parts[0]
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.operands if isinstance(part, kind) else (part,))
    return kind(tuple(flat))


Atom = Callable[[], Node]


class _Parser:
    def __init__(self, query: str) -> None:
        self._tokens = _tokenize(query)
        self._i = 0
        self._depth = 0
        self._terms = 0

    def _peek(self) -> _Token:
        return self._tokens[self._i]

    def _take(self) -> _Token:
        token = self._tokens[self._i]
        self._i += 1
        return token

    def _fail_expected(self, what: str) -> QuerySyntaxError:
        token = self._peek()
        previous = self._tokens[self._i - 1] if self._i else None
        after = ""
        if previous is not None and (previous.keyword or previous.kind in ("(", "-")):
            after = f" after {previous.keyword or previous.kind!r}"
        return QuerySyntaxError(f"expected {what}{after}, got {token.describe()}", token.start)

    def _enter(self, token: _Token) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise QuerySyntaxError(f"query nests deeper than {MAX_DEPTH} levels", token.start)

    def _count_term(self, token: _Token) -> None:
        self._terms += 1
        if self._terms > MAX_TERMS:
            raise QuerySyntaxError(f"query has more than {MAX_TERMS} terms", token.start)

    def parse(self) -> Node:
        if self._peek().kind == "eof":
            return MatchAll()
        node = self._or(self._term, "a term such as service:web")
        token = self._peek()
        if token.kind != "eof":
            raise QuerySyntaxError("unexpected ')' without a matching '('", token.start)
        return node

    def _or(self, atom: Atom, what: str) -> Node:
        parts = [self._and(atom, what)]
        while self._peek().keyword == "OR":
            self._take()
            parts.append(self._and(atom, what))
        return _join(Or, parts)

    def _and(self, atom: Atom, what: str) -> Node:
        parts = [self._unary(atom, what)]
        while True:
            token = self._peek()
            if token.kind in ("eof", ")") or token.keyword == "OR":
                return _join(And, parts)
            if token.keyword == "AND":
                self._take()
            parts.append(self._unary(atom, what))

    def _unary(self, atom: Atom, what: str) -> Node:
        token = self._peek()
        if token.keyword == "NOT" or token.kind == "-":
            self._take()
            if token.kind == "-" and self._peek().start != token.end:
                raise QuerySyntaxError("expected a term directly after '-' (no space)", token.end)
            self._enter(token)
            node = Not(self._unary(atom, what))
            self._depth -= 1
            return node
        if token.keyword is not None:
            raise self._fail_expected(what)
        return atom()

    def _group(self, atom: Atom, what: str) -> Node:
        opening = self._take()
        self._enter(opening)
        node = self._or(atom, what)
        if self._peek().kind != ")":
            raise self._fail_expected(f"')' to close the '(' at {opening.start}")
        self._take()
        self._depth -= 1
        return node

    def _term(self) -> Node:
        token = self._peek()
        if token.kind == "(":
            return self._group(self._term, "a term such as service:web")
        if token.kind != "word":
            raise self._fail_expected("a term such as service:web")
        self._take()
        colon = next((k for k, (c, literal) in enumerate(token.chars) if c == ":" and not literal), None)
        if colon is None:
            raise QuerySyntaxError(
                f"expected key:value, got {token.describe()} (free-text search is not supported)", token.start
            )
        make = self._facet(token, colon)
        value_chars = token.chars[colon + 1 :]
        following = self._peek()
        touching = following.start == token.end and following.kind in ("(", "quoted")
        if value_chars:
            if touching:
                raise QuerySyntaxError(
                    f"unexpected {following.describe()} in a value: escape it with '\\' or quote the value",
                    following.start,
                )
            self._count_term(token)
            return make(_pattern(value_chars))
        if touching and following.kind == "quoted":
            self._take()
            self._count_term(token)
            return make(_pattern(following.chars))
        if touching:
            return self._group(lambda: self._value(make), "a value")
        raise QuerySyntaxError(f"expected a value after {token.describe()}", token.end)

    def _facet(self, token: _Token, colon: int) -> Callable[[Pattern], Node]:
        key = "".join(c for c, _ in token.chars[:colon])
        if key.startswith("@"):
            if len(key) == 1:
                raise QuerySyntaxError("expected a custom tag key after '@'", token.start + 1)
            tag_key = key[1:]
            return lambda pattern: TagTerm(tag_key, pattern)
        field = FACETS.get(key)
        if field is None:
            known = ", ".join(FACETS)
            raise QuerySyntaxError(f"unknown facet {key!r}: expected one of {known} or @tag", token.start)
        return lambda pattern: Term(field, pattern)

    def _value(self, make: Callable[[Pattern], Node]) -> Node:
        token = self._peek()
        if token.kind == "(":
            return self._group(lambda: self._value(make), "a value")
        if token.kind not in ("word", "quoted"):
            raise self._fail_expected("a value")
        self._take()
        self._count_term(token)
        return make(_pattern(token.chars))


def parse_query(query: str) -> Node:
    """Parse Datadog search syntax into an AST; raise ``QuerySyntaxError`` saying what was expected where."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"query is longer than {MAX_QUERY_LENGTH} characters", MAX_QUERY_LENGTH)
    return _Parser(query).parse()
