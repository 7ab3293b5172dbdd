"""Validate a user's SQL condition over one relation before anything runs it.

The custom slice explorer (dashboard and ``smartloop slice``) lets a user type a boolean
predicate over ``dim_items``. The text is parsed with sqlglot (DuckDB dialect) and accepted
only if every node of the tree is on an allow-list: known columns, literals, comparisons,
boolean logic, arithmetic, ||, LIKE / ILIKE, IN over literals, BETWEEN, IS [NOT] NULL / TRUE /
FALSE, CASE, casts to plain scalar types and pure scalar functions. Everything else
(subqueries, table functions, statements, parameters, aggregates, windows, lambdas, functions
that read files, the environment, the clock or a random generator) is rejected with one
sentence naming it. The accepted tree is re-rendered by sqlglot with every column quoted and
without comments, so the string that runs is sqlglot's, never the user's.

This is the first line of defence; the second is the connection that evaluates the
predicate, which cannot reach the file system (see ``smartloop.custom_slices``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator, Mapping

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

MAX_PREDICATE_CHARS = 2000
MAX_NESTING = 24  #: parentheses deep; deeper input would exhaust sqlglot's recursive parser
DIALECT = "duckdb"

#: Words that start a statement rather than a condition, rejected by name before parsing.
# fmt: off
STATEMENT_WORDS = frozenset((
    "alter", "analyze", "attach", "begin", "call", "checkpoint", "comment", "commit", "copy",
    "create", "deallocate", "delete", "describe", "detach", "drop", "execute", "explain",
    "export", "force", "grant", "import", "insert", "install", "load", "merge", "pivot",
    "pragma", "prepare", "reset", "revoke", "rollback", "select", "set", "show", "summarize",
    "table", "truncate", "unpivot", "update", "use", "vacuum", "values", "with", "from",
))
# fmt: on

#: Token types that start a statement, or are a statement, in sqlglot's DuckDB dialect.
_STATEMENT_TOKENS = frozenset(DuckDB.parser_class.STATEMENT_PARSERS)
_COMMAND_TOKENS = frozenset(DuckDB.tokenizer_class.COMMANDS)

#: Operators and structural nodes that may appear anywhere in the tree.
ALLOWED_OPERATORS: tuple[type[exp.Expr], ...] = (
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.Is,
    exp.Like,
    exp.ILike,
    exp.Escape,
    exp.In,
    exp.Between,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.IntDiv,
    exp.Mod,
    exp.DPipe,
    exp.Neg,
    exp.Case,
    exp.If,
    exp.Cast,
    exp.TryCast,
    exp.Interval,
    exp.Literal,
    exp.Null,
    exp.Boolean,
)

#: Pure scalar functions, as the sqlglot classes the DuckDB dialect parses them into
#: (the SQL names that map to each class are listed in ALLOWED_FUNCTION_NAMES).
ALLOWED_FUNCTIONS: tuple[type[exp.Expr], ...] = (
    exp.Lower,
    exp.Upper,
    exp.Length,
    exp.Trim,
    exp.Substring,
    exp.Left,
    exp.Right,
    exp.StartsWith,
    exp.EndsWith,
    exp.Contains,
    exp.RegexpLike,
    exp.RegexpFullMatch,
    exp.RegexpExtract,
    exp.RegexpReplace,
    exp.Replace,
    exp.StrPosition,
    exp.Reverse,
    exp.Levenshtein,
    exp.Abs,
    exp.Round,
    exp.Floor,
    exp.Ceil,
    exp.Sign,
    exp.Sqrt,
    exp.Ln,
    exp.Log,
    exp.Pow,
    exp.Greatest,
    exp.Least,
    exp.Coalesce,
    exp.Nullif,
    exp.Year,
    exp.Quarter,
    exp.Month,
    exp.Week,
    exp.Day,
    exp.DayOfWeek,
    exp.DayOfWeekIso,
    exp.DayOfYear,
    exp.Hour,
    exp.Minute,
    exp.Extract,
    exp.TimestampTrunc,
    exp.DateTrunc,
    exp.DateDiff,
    exp.TimeToStr,
    exp.TimeToUnix,
    exp.JSONExtractScalar,
)

#: Pure DuckDB functions that sqlglot leaves as Anonymous (no class of their own).
ALLOWED_ANONYMOUS_FUNCTIONS = frozenset({"strlen", "date_part", "datepart"})

#: Every function name a user may write (documentation and tests; each parses into the
#: classes above). Deliberately absent: anything reading files or the environment
#: (read_*, glob, getenv, current_setting, query), the clock (now, current_date, age) and
#: random generators (random, uuid), aggregates and window functions.
# fmt: off
ALLOWED_FUNCTION_NAMES = (
    "lower", "upper", "lcase", "ucase", "length", "len", "char_length", "strlen", "trim",
    "ltrim", "rtrim", "substring", "substr", "left", "right", "starts_with", "ends_with",
    "contains", "regexp_matches", "regexp_full_match", "regexp_extract", "regexp_replace",
    "replace", "strpos", "instr", "reverse", "levenshtein", "abs", "round", "floor", "ceil",
    "ceiling", "sign", "sqrt", "ln", "log", "pow", "power", "greatest", "least", "coalesce",
    "ifnull", "nullif", "year", "quarter", "month", "week", "day", "dayofweek", "isodow",
    "dayofyear", "hour", "minute", "extract", "date_part", "datepart", "date_trunc",
    "date_diff", "datediff", "strftime", "epoch", "json_extract_string", "if",
)
# fmt: on

#: Scalar types a value may be cast to.
ALLOWED_CAST_TYPES = frozenset(
    {
        exp.DataType.Type.TEXT,
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.CHAR,
        exp.DataType.Type.TINYINT,
        exp.DataType.Type.SMALLINT,
        exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.DOUBLE,
        exp.DataType.Type.FLOAT,
        exp.DataType.Type.DECIMAL,
        exp.DataType.Type.BOOLEAN,
        exp.DataType.Type.DATE,
        exp.DataType.Type.TIME,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPNTZ,
        exp.DataType.Type.TIMESTAMPTZ,
    }
)

#: Date parts allowed as the unit of EXTRACT, DATE_TRUNC, DATE_DIFF and INTERVAL.
# fmt: off
TIME_UNITS = frozenset((
    "millennium", "century", "decade", "year", "years", "quarter", "quarters", "month",
    "months", "week", "weeks", "day", "days", "dayofweek", "dow", "isodow", "dayofyear", "doy",
    "hour", "hours", "minute", "minutes", "second", "seconds", "millisecond", "milliseconds",
    "microsecond", "microseconds", "epoch",
))
# fmt: on
_UNIT_PARENTS = (exp.Extract, exp.TimestampTrunc, exp.DateTrunc, exp.DateDiff, exp.Interval)

_JSON_PATH_NODES = (exp.JSONPath, exp.JSONPathRoot, exp.JSONPathKey, exp.JSONPathSubscript)

#: Nodes whose value is a boolean whatever their operands.
_BOOLEAN_NODES = (
    exp.And,
    exp.Or,
    exp.Not,
    exp.Predicate,
    exp.Boolean,
    exp.StartsWith,
    exp.EndsWith,
    exp.Contains,
    exp.RegexpLike,
    exp.RegexpFullMatch,
    exp.Escape,
)


class PredicateError(ValueError):
    """The predicate was rejected; the message is one sentence saying why."""


def validate_predicate(text: str, columns: Mapping[str, str]) -> str:
    """The predicate re-rendered by sqlglot (DuckDB dialect, columns quoted), or PredicateError.

    ``columns`` maps each column of the relation the predicate filters to its DuckDB type.

    >>> columns = {"label": "VARCHAR", "text": "VARCHAR"}
    >>> validate_predicate("label = 'spam' and length(text) > 20", columns)
    '"label" = \\'spam\\' AND LENGTH("text") > 20'
    >>> try:
    ...     validate_predicate("read_csv('/etc/passwd') is not null", columns)
    ... except PredicateError as exc:
    ...     print(exc)
    function read_csv is not allowed
    """
    _check_characters(text)
    known = {name.lower(): (name, data_type.upper()) for name, data_type in columns.items()}
    tokens = _tokenize(text)
    _check_tokens(tokens, known)
    tree = _parse(text)
    try:
        _check_tree(tree, known)
        _check_boolean(tree, known)
        return tree.sql(dialect=DIALECT, comments=False)
    except RecursionError as exc:
        raise PredicateError("the predicate is nested too deeply") from exc


def _check_characters(text: str) -> None:
    """Reject empty and very long input, and invisible or control characters."""
    if not text or not text.strip():
        raise PredicateError("the predicate is empty; write a condition such as label = 'spam'")
    if len(text) > MAX_PREDICATE_CHARS:
        raise PredicateError(
            f"the predicate is {len(text):,} characters long, "
            f"more than the limit of {MAX_PREDICATE_CHARS:,}"
        )
    for char in text:
        category = unicodedata.category(char)
        if (category == "Cc" and char not in "\t\n\r") or category == "Cf":
            raise PredicateError(
                f"the predicate contains the invisible or control character U+{ord(char):04X}"
            )


def _tokenize(text: str) -> list:
    try:
        return sqlglot.tokenize(text, read=DIALECT)
    except TokenError as exc:
        raise PredicateError(
            f"could not parse the predicate: {_first_line(str(exc))} (an unclosed quote?)"
        ) from exc


def _check_tokens(tokens: list, known: Mapping[str, tuple[str, str]]) -> None:
    """Reject what must never reach the parser: a ';' (first of all), a statement keyword,
    comments and nesting deeper than MAX_NESTING."""
    if not tokens:
        raise PredicateError("the predicate holds only a comment, and comments are not allowed")
    if any(token.token_type == TokenType.SEMICOLON for token in tokens):
        raise PredicateError("only one expression is allowed, found a ';'")
    first = tokens[0]
    is_word = first.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)
    is_statement = first.token_type in _STATEMENT_TOKENS or first.text.lower() in STATEMENT_WORDS
    if is_word and is_statement and first.text.lower() not in known:
        raise PredicateError(
            f"{first.text.upper()} statements are not allowed; write only the condition, "
            "as after WHERE"
        )
    depth = 0
    for token in tokens:
        if token.comments:
            raise PredicateError("comments are not allowed in a predicate")
        if token.token_type in _COMMAND_TOKENS:
            raise PredicateError(f"{token.text.upper()} statements are not allowed")
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(token.token_type, 0)
        if depth > MAX_NESTING:
            raise PredicateError(f"the predicate nests parentheses more than {MAX_NESTING} deep")


def _parse(text: str) -> exp.Expr:
    try:
        statements = sqlglot.parse(text, read=DIALECT)
    except ParseError as exc:
        raise PredicateError(f"could not parse the predicate: {_parse_error(exc)}") from exc
    except TokenError as exc:
        raise PredicateError(f"could not parse the predicate: {_first_line(str(exc))}") from exc
    except RecursionError as exc:
        raise PredicateError("the predicate is nested too deeply") from exc
    statements = [statement for statement in statements if statement is not None]
    if len(statements) != 1:
        raise PredicateError(f"only one expression is allowed, found {len(statements)}")
    return statements[0]


def _parse_error(exc: ParseError) -> str:
    """sqlglot's first error as plain words, e.g. 'Invalid expression / Unexpected token
    at ')' (line 1, column 7)'."""
    if not exc.errors:
        return _first_line(str(exc))
    error = exc.errors[0]
    description = re.sub(r"<class '(?:[\w.]+\.)?(\w+)'>", r"\1", str(error.get("description", "")))
    where = f"at '{error['highlight']}' " if error.get("highlight") else ""
    return f"{description} {where}(line {error.get('line')}, column {error.get('col')})"


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"


def _check_tree(tree: exp.Expr, known: Mapping[str, tuple[str, str]]) -> None:
    """Walk every node; raise on the first one that is not allowed; quote known columns."""
    if _is_statement(tree):
        raise PredicateError(
            f"{_statement_name(tree)} is not allowed; write only the condition, as after WHERE"
        )
    columns: list[exp.Column] = []
    for node in tree.walk():
        if isinstance(node, exp.Column):
            _check_column(node, known)
            columns.append(node)
        elif isinstance(node, exp.Identifier):
            if not isinstance(node.parent, exp.Column):
                raise PredicateError(f"the name {node.name!r} is not allowed here")
        elif isinstance(node, ALLOWED_OPERATORS):
            _check_operator(node)
        elif isinstance(node, exp.Anonymous):
            if node.name.lower() not in ALLOWED_ANONYMOUS_FUNCTIONS:
                raise PredicateError(f"function {node.name.lower()} is not allowed")
        elif isinstance(node, ALLOWED_FUNCTIONS):
            if isinstance(node, exp.JSONExtractScalar):
                _check_json_column(node.this, known)
        elif isinstance(node, exp.DataType):
            _check_data_type(node)
        elif isinstance(node, exp.DataTypeParam):
            if not isinstance(node.parent, exp.DataType) or not isinstance(node.this, exp.Literal):
                raise PredicateError("a type parameter must be a number")
        elif isinstance(node, exp.Var):
            _check_unit(node)
        elif isinstance(node, _JSON_PATH_NODES):
            if not node.find_ancestor(exp.JSONExtractScalar):
                raise PredicateError("a JSON path is only allowed in json_extract_string or ->>")
        elif isinstance(node, exp.Query | exp.Subquery | exp.Exists):
            raise PredicateError("subqueries are not allowed")
        else:
            raise PredicateError(f"{_describe(node)} is not allowed")
    for column in columns:
        column.set("this", exp.to_identifier(known[column.name.lower()][0], quoted=True))


def _is_statement(tree: exp.Expr) -> bool:
    """A whole statement (SELECT, COPY, ATTACH, PRAGMA ...) rather than an expression."""
    if isinstance(tree, exp.Query | exp.DDL | exp.DML | exp.Command):
        return True
    return not isinstance(tree, exp.Condition) and tree.key in STATEMENT_WORDS | {
        "install",
        "transaction",
    }


def _statement_name(tree: exp.Expr) -> str:
    if isinstance(tree, exp.SetOperation):
        return f"a set operation ({tree.key.upper()})"
    if isinstance(tree, exp.Command):
        return f"a {str(tree.this).upper()} statement"
    return f"a {tree.key.upper()} statement"


def _check_column(node: exp.Column, known: Mapping[str, tuple[str, str]]) -> None:
    if not isinstance(node.this, exp.Identifier):
        raise PredicateError(f"{_describe(node.this)} is not allowed")
    if node.table or node.args.get("db") or node.args.get("catalog"):
        raise PredicateError(
            f"the qualified column {node.sql(dialect=DIALECT)!r} is not allowed; "
            "write the column name alone"
        )
    name = node.name
    if name.lower() not in known:
        names = [original for original, _ in known.values()]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise PredicateError(f"unknown column {name!r} ({hint}known: {', '.join(sorted(names))})")


def _check_operator(node: exp.Expr) -> None:
    if isinstance(node, exp.In):
        if node.args.get("query") is not None:
            raise PredicateError("subqueries are not allowed")
        if node.args.get("unnest") is not None or node.args.get("field") is not None:
            raise PredicateError("IN takes a list of literal values only")
        if not node.expressions or not all(_is_constant(value) for value in node.expressions):
            raise PredicateError("IN takes a list of literal values only")
    elif isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null | exp.Boolean):
            raise PredicateError("IS is only allowed with NULL, TRUE or FALSE")
    elif isinstance(node, exp.Escape):
        if not isinstance(node.this, exp.Like | exp.ILike) or not _is_string(node.expression):
            raise PredicateError("ESCAPE takes one string literal after LIKE or ILIKE")
    elif isinstance(node, exp.Literal) and not (node.is_string or node.is_number):
        raise PredicateError(f"the literal {node.sql(dialect=DIALECT)} is not allowed")


def _is_constant(node: exp.Expr) -> bool:
    """A literal, NULL, a boolean, or a sign or cast of one (e.g. DATE '2014-01-01')."""
    if isinstance(node, exp.Literal | exp.Null | exp.Boolean):
        return True
    if isinstance(node, exp.Neg | exp.Paren | exp.Cast):
        return _is_constant(node.this)
    return False


def _is_string(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def _check_json_column(node: exp.Expr, known: Mapping[str, tuple[str, str]]) -> None:
    if not isinstance(node, exp.Column) or not node.name:
        raise PredicateError("json_extract_string and ->> are only allowed on a JSON column")
    entry = known.get(node.name.lower())
    if entry is not None and entry[1] != "JSON":
        raise PredicateError(
            f"json_extract_string and ->> are only allowed on a JSON column, "
            f"and {entry[0]!r} is {entry[1]}"
        )


def _check_data_type(node: exp.DataType) -> None:
    if not isinstance(node.parent, exp.Cast | exp.TryCast):
        raise PredicateError("a type name is only allowed in CAST or ::")
    if node.this not in ALLOWED_CAST_TYPES:
        raise PredicateError(f"a cast to {node.sql(dialect=DIALECT)} is not allowed")


def _check_unit(node: exp.Var) -> None:
    if not isinstance(node.parent, _UNIT_PARENTS) or node.name.lower() not in TIME_UNITS:
        raise PredicateError(f"the name {node.name!r} is not allowed here")


def _describe(node: exp.Expr) -> str:
    """What the user wrote, in words, for the 'is not allowed' sentence."""
    if isinstance(node, exp.Star):
        return "*"
    if isinstance(node, exp.Placeholder | exp.Parameter | exp.SessionParameter):
        return f"the parameter {node.sql(dialect=DIALECT)}"
    if isinstance(node, exp.Window):
        return "a window function (OVER)"
    if isinstance(node, exp.Lambda):
        return "a lambda function"
    if isinstance(node, exp.Comprehension):
        return "a list comprehension"
    if isinstance(node, exp.Array):
        return "a list ([...])"
    name = _function_name(node)
    if isinstance(node, exp.AggFunc):
        return f"the aggregate function {name or node.key}"
    if isinstance(node, exp.Func) and name:
        return f"function {name}"
    snippet = node.sql(dialect=DIALECT)
    if len(snippet) > 40:
        snippet = snippet[:37] + "..."
    return f"the expression {snippet!r} ({node.key})"


def _function_name(node: exp.Expr) -> str | None:
    """The name DuckDB would call, e.g. 'read_csv' for sqlglot's ReadCSV."""
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    try:
        rendered = node.sql(dialect=DIALECT)
    except Exception:  # a node sqlglot cannot render is described by its key instead
        return None
    match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\(|$)", rendered)
    return match.group(1).lower() if match else None


def _check_boolean(tree: exp.Expr, known: Mapping[str, tuple[str, str]]) -> None:
    """Reject a predicate that is plainly not a condition, e.g. a VARCHAR column or a number."""
    for operand in _boolean_operands(tree):
        kind = _value_kind(operand, known)
        if kind is not None:
            raise PredicateError(
                f"the predicate must be a condition (true or false per item), but "
                f"{operand.sql(dialect=DIALECT)} is {kind}"
            )


def _boolean_operands(node: exp.Expr) -> Iterator[exp.Expr]:
    """The node and every operand of AND / OR / NOT below it, which must all be booleans."""
    while isinstance(node, exp.Paren):
        node = node.this
    yield node
    if isinstance(node, exp.And | exp.Or):
        yield from _boolean_operands(node.this)
        yield from _boolean_operands(node.expression)
    elif isinstance(node, exp.Not):
        yield from _boolean_operands(node.this)


#: Allowed functions whose value is never a boolean.
_VALUE_FUNCTIONS = tuple(
    function
    for function in ALLOWED_FUNCTIONS
    if not issubclass(function, _BOOLEAN_NODES)
    and function not in (exp.Coalesce, exp.Nullif, exp.Greatest, exp.Least)
)


def _value_kind(node: exp.Expr, known: Mapping[str, tuple[str, str]]) -> str | None:
    """What a plainly non-boolean operand is ('a VARCHAR column', 'a number' ...), else None
    (a boolean, or not cheap to tell: CASE, COALESCE, NULL; DuckDB decides when it runs)."""
    if isinstance(node, _BOOLEAN_NODES):
        return None
    if isinstance(node, exp.Column):
        entry = known.get(node.name.lower())
        return None if entry is None or entry[1] == "BOOLEAN" else f"a {entry[1]} column"
    if isinstance(node, exp.Literal):
        return "a text literal" if node.is_string else "a number"
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.IntDiv | exp.Mod | exp.Neg):
        return "a number"
    if isinstance(node, exp.DPipe):
        return "a text value"
    if isinstance(node, exp.Cast | exp.TryCast):
        target = node.to
        return None if target.this == exp.DataType.Type.BOOLEAN else f"a {target.sql(DIALECT)}"
    if isinstance(node, (*_VALUE_FUNCTIONS, exp.Anonymous, exp.Interval)):
        return "a value, not a condition"
    return None
