"""Safe parser for the conditions of AWS custom-lens ``riskRules``.

A condition is either the word ``default`` or a boolean expression over choice ids::

    condition := "default" | expr
    expr      := and_expr ("||" and_expr)*
    and_expr  := unary ("&&" unary)*
    unary     := "!" unary | "(" expr ")" | ID
    ID        := [A-Za-z0-9_-]+

Conditions come from lens files that users upload, so they are parsed by hand into a small AST and
never handed to ``eval``. Every malformed input is reported as a :class:`ConditionError`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import ClassVar, NamedTuple, TypeAlias

DEFAULT_KEYWORD = "default"
MAX_LENGTH = 2_000
MAX_DEPTH = 50

_CHOICE_ID = re.compile(r"[A-Za-z0-9_-]+")
_TOKEN = re.compile(r"(?P<space>[ \t\r\n]+)|(?P<id>[A-Za-z0-9_-]+)|(?P<op>&&|\|\||[!()])")

# Binding strength, used to print the fewest parentheses that still re-parse to the same tree.
_OR, _AND, _ATOM = 1, 2, 3


class ConditionError(ValueError):
    """A condition that cannot be used; ``position`` is the 0-based character offset, when there is one."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"{self.message} at position {self.position}"


def _check_operand(operand: object) -> None:
    # `default` is only meaningful as a whole rule; inside an expression it could not be printed back.
    if isinstance(operand, Default) or not isinstance(operand, _Node):
        raise ValueError(f"not a usable operand: {operand!r}")


class _Node:
    precedence: ClassVar[int]

    def _operand_str(self, parent_precedence: int) -> str:
        text = str(self)
        return f"({text})" if self.precedence <= parent_precedence else text


@dataclass(frozen=True)
class Default(_Node):
    """The catch-all rule: always true."""

    precedence: ClassVar[int] = _ATOM

    def evaluate(self, true_ids: AbstractSet[str]) -> bool:
        return True

    def choice_ids(self) -> frozenset[str]:
        return frozenset()

    def __str__(self) -> str:
        return DEFAULT_KEYWORD


@dataclass(frozen=True)
class Ref(_Node):
    """True when the choice is among the true ids (selected, or otherwise counted as satisfied)."""

    choice_id: str
    precedence: ClassVar[int] = _ATOM

    def __post_init__(self) -> None:
        if not _CHOICE_ID.fullmatch(self.choice_id) or self.choice_id == DEFAULT_KEYWORD:
            raise ValueError(f"not a valid choice id: {self.choice_id!r}")

    def evaluate(self, true_ids: AbstractSet[str]) -> bool:
        return self.choice_id in true_ids

    def choice_ids(self) -> frozenset[str]:
        return frozenset({self.choice_id})

    def __str__(self) -> str:
        return self.choice_id


@dataclass(frozen=True)
class Not(_Node):
    operand: Condition
    precedence: ClassVar[int] = _ATOM

    def __post_init__(self) -> None:
        _check_operand(self.operand)

    def evaluate(self, true_ids: AbstractSet[str]) -> bool:
        return not self.operand.evaluate(true_ids)

    def choice_ids(self) -> frozenset[str]:
        return self.operand.choice_ids()

    def __str__(self) -> str:
        # `!` binds tightest, so anything but an atom or another negation needs parentheses.
        return "!" + self.operand._operand_str(_ATOM - 1)


def _flatten(kind: type[And] | type[Or], operands: Iterable[Condition]) -> tuple[Condition, ...]:
    # && and || are associative, so `(a && b) && c` is stored as `a && b && c`: one tree per meaning
    # makes equality useful and keeps printing free of redundant parentheses.
    flat: list[Condition] = []
    for operand in operands:
        _check_operand(operand)
        if isinstance(operand, And | Or) and type(operand) is kind:
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    if len(flat) < 2:
        raise ValueError(f"{kind.__name__} needs at least two operands")
    return tuple(flat)


@dataclass(frozen=True)
class And(_Node):
    operands: tuple[Condition, ...]
    precedence: ClassVar[int] = _AND

    def __post_init__(self) -> None:
        object.__setattr__(self, "operands", _flatten(And, self.operands))

    def evaluate(self, true_ids: AbstractSet[str]) -> bool:
        return all(operand.evaluate(true_ids) for operand in self.operands)

    def choice_ids(self) -> frozenset[str]:
        return frozenset().union(*(operand.choice_ids() for operand in self.operands))

    def __str__(self) -> str:
        return " && ".join(operand._operand_str(_OR) for operand in self.operands)


@dataclass(frozen=True)
class Or(_Node):
    operands: tuple[Condition, ...]
    precedence: ClassVar[int] = _OR

    def __post_init__(self) -> None:
        object.__setattr__(self, "operands", _flatten(Or, self.operands))

    def evaluate(self, true_ids: AbstractSet[str]) -> bool:
        return any(operand.evaluate(true_ids) for operand in self.operands)

    def choice_ids(self) -> frozenset[str]:
        return frozenset().union(*(operand.choice_ids() for operand in self.operands))

    def __str__(self) -> str:
        return " || ".join(operand._operand_str(_OR - 1) for operand in self.operands)


Condition: TypeAlias = Default | Ref | Not | And | Or


class _Token(NamedTuple):
    kind: str  # "id" or "op"
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            # A lone `&` or `|` lands here too: only the doubled forms are operators.
            raise ConditionError(f"unexpected {text[position]!r}", position)
        if match.lastgroup != "space":
            tokens.append(_Token(match.lastgroup or "", match.group(), position))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent over the token list; the depth cap keeps recursion far below Python's limit."""

    def __init__(self, tokens: list[_Token], end: int) -> None:
        self._tokens = tokens
        self._index = 0
        self._end = end
        self._depth = 0
        self.refs: list[_Token] = []

    def parse(self) -> Condition:
        condition = self._expr()
        token = self._peek()
        if token is not None:
            message = "unbalanced parenthesis" if token.text == ")" else f"unexpected {token.text!r}"
            raise ConditionError(message, token.position)
        return condition

    def _peek(self) -> _Token | None:
        return self._tokens[self._index] if self._index < len(self._tokens) else None

    def _accept(self, operator: str) -> bool:
        token = self._peek()
        if token is not None and token.kind == "op" and token.text == operator:
            self._index += 1
            return True
        return False

    def _expr(self) -> Condition:
        operands = [self._and_expr()]
        while self._accept("||"):
            operands.append(self._and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and_expr(self) -> Condition:
        operands = [self._unary()]
        while self._accept("&&"):
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _unary(self) -> Condition:
        token = self._peek()
        if token is None:
            raise ConditionError("unexpected end of condition", self._end)
        self._index += 1
        if token.kind == "id":
            if token.text == DEFAULT_KEYWORD:
                raise ConditionError("'default' must be the whole condition", token.position)
            self.refs.append(token)
            return Ref(token.text)
        if token.text not in ("!", "("):
            raise ConditionError(f"unexpected {token.text!r}", token.position)

        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ConditionError("nested too deeply", token.position)
        if token.text == "!":
            condition: Condition = Not(self._unary())
        else:
            condition = self._expr()
            if not self._accept(")"):
                following = self._peek()
                if following is not None:
                    raise ConditionError(f"unexpected {following.text!r}", following.position)
                raise ConditionError("unbalanced parenthesis", token.position)
        self._depth -= 1
        return condition


def parse_condition(text: str, known_ids: Collection[str] | None = None) -> Condition:
    """Parse a riskRules condition; with ``known_ids``, every referenced choice id must be one of them.

    Raises :class:`ConditionError`, and nothing else, for any string that is not a valid condition.
    """
    if len(text) > MAX_LENGTH:
        raise ConditionError("condition too long")
    tokens = _tokenize(text)
    if not tokens:
        raise ConditionError("empty condition")
    if len(tokens) == 1 and tokens[0].text == DEFAULT_KEYWORD:
        return Default()

    parser = _Parser(tokens, len(text))
    condition = parser.parse()
    if known_ids is not None:
        known = known_ids if isinstance(known_ids, AbstractSet) else frozenset(known_ids)
        for ref in parser.refs:
            if ref.text not in known:
                raise ConditionError(f"unknown choice id {ref.text!r}", ref.position)
    return condition
