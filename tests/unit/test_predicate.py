"""The custom-slice predicate validator: an injection corpus that must be rejected with a
reason naming the problem, legitimate predicates over every column type of dim_items that
must be accepted and select the expected rows, and the sandbox that evaluates them."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import duckdb
import pytest

from smartloop import custom_slices
from smartloop.custom_slices import SliceError, compare_with_rest, slice_metrics
from smartloop.predicate import (
    ALLOWED_FUNCTION_NAMES,
    MAX_PREDICATE_CHARS,
    PredicateError,
    validate_predicate,
)

#: A slice of dim_items with one column of every type it has (the demo's serving file).
COLUMNS = {
    "item_id": "VARCHAR",
    "text": "VARCHAR",
    "author": "VARCHAR",
    "published_at": "TIMESTAMP",
    "video": "VARCHAR",
    "metadata": "JSON",
    "label": "VARCHAR",
    "label_confidence": "DOUBLE",
    "is_label_contested": "BOOLEAN",
    "is_trainable": "BOOLEAN",
    "n_annotations": "BIGINT",
    "label_agreement": "DOUBLE",
    "cluster_size": "BIGINT",
    "split": "VARCHAR",
    "has_pii": "BOOLEAN",
}

# item_id, text, author, published_at, video, label, label_confidence, is_label_contested,
# is_trainable, n_annotations, label_agreement, cluster_size, split, has_pii
ITEMS = [
    ("i1", "Check out my channel http://x.co", "anon1", "2014-01-05 10:00:00", "psy",
     "spam", 1.0, False, True, 1, None, 1, "train", False),
    ("i2", "Love this song", "anon2", "2014-11-20 08:30:00", "psy",
     "ham", 1.0, False, True, 1, None, 1, "train", False),
    ("i3", "SUBSCRIBE to me please", "anon3", "2015-05-28 23:59:59", "katy_perry",
     "spam", 0.66, True, True, 3, 0.667, 2, "validation", False),
    ("i4", "subscribe <EMAIL> now", "anon3", "2015-05-28 00:00:00", "katy_perry",
     "spam", 0.9, False, True, 2, 1.0, 2, "validation", True),
    ("i5", "great video", "anon4", None, "eminem",
     "ham", 0.5, True, False, 2, 0.5, 1, "test", False),
    ("i6", "Beautiful voice 😍", "anon5", "2015-02-14 12:00:00", "shakira",
     None, None, False, False, 0, None, 1, "test", False),
    ("i7", "it's 100% real", "anon6", "2014-12-31 23:00:00", "lmfao",
     "ham", 1.0, False, True, 1, None, 3, "train", False),
    ("i8", "Check my playlist", "anon1", "2015-01-01 00:00:00", "lmfao",
     "spam", 1.0, False, True, 1, None, 3, "train", False),
]  # fmt: skip

# item_id, split, given_label, is_trainable, predicted_label (i6 is unlabelled: not scored)
PREDICTIONS = [
    ("i1", "train", "spam", True, "spam"),
    ("i2", "train", "ham", True, "spam"),
    ("i3", "validation", "spam", True, "ham"),
    ("i4", "validation", "spam", True, "spam"),
    ("i5", "test", "ham", False, "spam"),
    ("i7", "train", "ham", True, "ham"),
    ("i8", "train", "spam", True, "ham"),
]

# (predicate, pattern the one-sentence reason must contain)
INJECTIONS = [
    # subqueries
    ("(select count(*) from dim_items) > 0", r"subqueries are not allowed"),
    ("label in (select label from dim_items)", r"subqueries are not allowed"),
    ("label = (select label from dim_items limit 1)", r"subqueries are not allowed"),
    ("exists(select 1)", r"subqueries are not allowed"),
    ("exists (select * from read_csv('/etc/passwd'))", r"subqueries are not allowed"),
    ("label = 'spam' or 1 = 1 and exists (select 1 from duckdb_settings())", r"subqueries"),
    ("label_confidence > 0.5 and (select 1) = 1", r"subqueries are not allowed"),
    # files, the network, the environment, settings
    ("read_csv('/etc/passwd') is not null", r"function read_csv is not allowed"),
    ("read_csv_auto('/etc/passwd') is not null", r"function read_csv_auto is not allowed"),
    ("read_text('/etc/passwd') is not null", r"function read_text is not allowed"),
    ("length(read_text('/etc/passwd')) > 0", r"function read_text is not allowed"),
    ("regexp_matches(read_text('/etc/passwd'), 'root')", r"function read_text is not allowed"),
    ("read_parquet('s3://bucket/x.parquet') is not null", r"function read_parquet"),
    ("read_json('https://example.com/x.json') is not null", r"function read_json"),
    ("read_blob('/etc/shadow') is not null", r"function read_blob is not allowed"),
    ("glob('/etc/*') is not null", r"function glob is not allowed"),
    ("getenv('HOME') = '/root'", r"function getenv is not allowed"),
    ("lower(text) like '%' || getenv('AWS_SECRET_ACCESS_KEY')", r"function getenv"),
    ("if(getenv('X') = '', true, false)", r"function getenv is not allowed"),
    ("current_setting('threads') = '1'", r"function current_setting is not allowed"),
    ("getvariable('x') = 1", r"function getvariable is not allowed"),
    ("query('select 1') is not null", r"function query is not allowed"),
    ("query_table('dim_items') is not null", r"function query_table is not allowed"),
    ("sql_auto_complete('sel') is not null", r"function sql_auto_complete is not allowed"),
    ("duckdb_settings() is not null", r"function duckdb_settings is not allowed"),
    ("pragma_version() is not null", r"function pragma_version is not allowed"),
    # more than one statement, comments
    ("label = 'spam'; drop table dim_items", r"only one expression is allowed, found a ';'"),
    ("1=1; copy dim_items to '/tmp/out.csv'", r"found a ';'"),
    ("label = 'spam';", r"found a ';'"),
    ("\"label\" = 'spam'; --", r"found a ';'"),
    ("label = 'spam' /* ; drop table dim_items */", r"comments are not allowed"),
    ("label = 'spam' -- ; drop table dim_items", r"comments are not allowed"),
    ("label = 'spam' --\n; drop table dim_items", r"comments are not allowed|found a ';'"),
    ("/* hidden */ label = 'spam'", r"comments are not allowed"),
    ("-- label = 'spam'", r"only a comment, and comments are not allowed"),
    ("/* label = 'spam' */", r"only a comment, and comments are not allowed"),
    # statements
    ("copy dim_items to '/tmp/x.csv'", r"COPY statements are not allowed"),
    ("copy (select * from dim_items) to '/tmp/x.parquet' (format parquet)", r"COPY statements"),
    ("attach '/tmp/evil.duckdb' as evil", r"ATTACH statements are not allowed"),
    ("detach serving", r"DETACH statements are not allowed"),
    ("pragma database_list", r"PRAGMA statements are not allowed"),
    ("set enable_external_access = true", r"SET statements are not allowed"),
    ("install httpfs", r"INSTALL statements are not allowed"),
    ("force install httpfs", r"FORCE statements are not allowed"),
    ("load httpfs", r"LOAD statements are not allowed"),
    ("export database '/tmp/dump'", r"EXPORT statements are not allowed"),
    ("import database '/tmp/dump'", r"IMPORT statements are not allowed"),
    ("call pragma_version()", r"CALL statements are not allowed"),
    ("select * from read_csv('/etc/passwd')", r"SELECT statements are not allowed"),
    ("with x as (select 1) select * from x", r"WITH statements are not allowed"),
    ("drop table dim_items", r"DROP statements are not allowed"),
    ("delete from dim_items", r"DELETE statements are not allowed"),
    ("update dim_items set label = 'ham'", r"UPDATE statements are not allowed"),
    ("insert into dim_items select * from dim_items", r"INSERT statements are not allowed"),
    ("create macro m() as 1", r"CREATE statements are not allowed"),
    ("checkpoint", r"CHECKPOINT statements are not allowed"),
    ("vacuum", r"VACUUM statements are not allowed"),
    ("describe dim_items", r"DESCRIBE statements are not allowed"),
    ("summarize dim_items", r"SUMMARIZE statements are not allowed"),
    ("show tables", r"SHOW statements are not allowed"),
    ("use main", r"USE statements are not allowed"),
    ("truncate dim_items", r"TRUNCATE statements are not allowed"),
    ("alter table dim_items rename to items", r"ALTER statements are not allowed"),
    ("begin transaction", r"BEGIN statements are not allowed"),
    ("label = 'spam' union select 'x'", r"set operation \(UNION\) is not allowed"),
    ("label = 'spam' union all select 1", r"set operation \(UNION\) is not allowed"),
    # lambdas, lists, structs, indexing
    ("list_transform([1, 2], x -> x + 1) = [2, 3]", r"function list_transform is not allowed"),
    ("list_filter([1], lambda x: x > 0) = [1]", r"function list_filter is not allowed"),
    ("[x for x in [1, 2]] = [1, 2]", r"list .* is not allowed"),
    ("unnest([1]) = 1", r"function unnest is not allowed"),
    ("struct_pack(a := 1) is not null", r"\(struct\) is not allowed"),
    ("metadata['video'] = 'psy'", r"\(bracket\) is not allowed"),
    # columns
    ("foo = 1", r"unknown column 'foo' \(known: .*item_id"),
    ("labl = 'spam'", r"unknown column 'labl' \(did you mean 'label'\?"),
    ("checkpoints = 1", r"unknown column 'checkpoints'"),
    ("t.item_id = 'x'", r"qualified column 't.item_id' is not allowed"),
    ("dim_items.label = 'spam'", r"qualified column 'dim_items.label' is not allowed"),
    ("main.dim_items.label = 'spam'", r"qualified column 'main.dim_items.label'"),
    ("metadata.video = 'psy'", r"qualified column 'metadata.video' is not allowed"),
    ("*", r"\* is not allowed"),
    ("count(*) > 1", r"aggregate function count is not allowed"),
    ("sum(cluster_size) > 10", r"aggregate function sum is not allowed"),
    ("row_number() over (order by item_id) = 1", r"window function \(OVER\) is not allowed"),
    ("count(*) over () > 1", r"window function \(OVER\) is not allowed"),
    # parameters
    ("$1 = 'spam'", r"parameter \$1 is not allowed"),
    ("label = ?", r"parameter \? is not allowed"),
    ("label = :name", r"parameter \$name is not allowed"),
    # not pure
    ("random() < 0.5", r"function random is not allowed"),
    ("uuid() is not null", r"function uuid is not allowed"),
    ("now() > published_at", r"function now is not allowed"),
    ("current_date > published_at", r"function current_date is not allowed"),
    ("current_timestamp > published_at", r"function current_timestamp is not allowed"),
    ("age(published_at) > interval 1 day", r"function age is not allowed"),
    # unicode tricks
    ("tеxt = 'a'", r"unknown column 'tеxt' \(did you mean 'text'\?"),  # Cyrillic е
    ("text\u200b = 'a'", r"invisible or control character U\+200B"),
    ("label = 'spam' \u202e", r"invisible or control character U\+202E"),
    ("label\x00 = 'spam'", r"invisible or control character U\+0000"),
    ("label = 'spam'\uff1b drop table dim_items", r"could not parse|unknown column"),
    ("label = 'spam'\u037e drop table dim_items", r"could not parse|unknown column"),
    # other operators, casts and literals off the list
    ("text -> '$.a' = 'x'", r"\(jsonextract\) is not allowed"),
    ("text ->> '$.a' = 'x'", r"only allowed on a JSON column, and 'text' is VARCHAR"),
    ("cast(text as blob) = 'x'", r"cast to BLOB is not allowed"),
    ("label::blob = 'x'", r"cast to BLOB is not allowed"),
    ("label in ('spam', text)", r"IN takes a list of literal values only"),
    ("label in ()", r"IN takes a list of literal values only"),
    ("(label, video) = ('a', 'b')", r"\(tuple\) is not allowed"),
    ("label = E'\\x27 or 1=1'", r"\(bytestring\) is not allowed"),
    ("label = 'x' collate nocase", r"\(collate\) is not allowed"),
    ("text similar to 'x'", r"\(similarto\) is not allowed"),
    ("label = $$spam$$", r"\(rawstring\) is not allowed"),
    ("md5(text) = 'x'", r"function md5 is not allowed"),
    # not a condition, not SQL, empty, too long, too deep
    ("label", r"must be a condition .* \"label\" is a VARCHAR column"),
    ("length(text)", r"must be a condition .* is a value, not a condition"),
    ("label = 'spam' and text", r"must be a condition .* \"text\" is a VARCHAR column"),
    ("1", r"must be a condition .* 1 is a number"),
    ("label = 'spam' limit 1", r"could not parse the predicate: .*'limit'"),
    ("'abc", r"could not parse the predicate"),
    ("label = = 'spam'", r"could not parse the predicate"),
    ("", r"the predicate is empty"),
    ("   \n\t ", r"the predicate is empty"),
    ("label = '" + "x" * MAX_PREDICATE_CHARS + "'", r"more than the limit of 2,000"),
    ("(" * 900 + "true" + ")" * 900, r"nests parentheses more than 24 deep"),
    ("not " * 490 + "true", r"the predicate is nested too deeply"),
]

# (predicate, items of ITEMS it selects)
LEGITIMATE = [
    ("label = 'spam'", 4),
    ("label <> 'spam'", 3),
    ("\"label\" = 'ham'", 3),
    ("LABEL = 'ham'", 3),
    ("video in ('psy', 'katy_perry')", 4),
    ("video not in ('psy')", 6),
    ("lower(text) like '%subscribe%'", 2),
    ("text ilike 'check%'", 2),
    ("text like '%100!%%' escape '!'", 1),
    ("text like '%''s%'", 1),
    ("item_id = 'i1' or text like '%;%'", 1),
    ("text = 'Beautiful voice 😍'", 1),
    ("text like 'Check' || '%'", 2),
    ("length(text) < 15", 3),
    ("upper(author) = 'ANON3'", 2),
    ("starts_with(item_id, 'i') and cast(substring(item_id, 2, 1) as integer) > 6", 2),
    ("regexp_matches(text, 'https?://')", 1),
    ("not regexp_matches(text, 'https?://|www\\.')", 7),
    ("label_confidence >= 0.9", 5),
    ("label_confidence between 0.5 and 0.9", 3),
    ("round(label_confidence, 1) = 0.7", 1),
    ("abs(label_confidence - 0.5) < 0.01", 1),
    ("label_agreement is not null and label_agreement < 1", 2),
    ("n_annotations * 2 + 1 > 4", 3),
    ("cluster_size % 2 = 1 and cluster_size > 1", 2),
    ("-cluster_size < -2", 2),
    ("is_label_contested", 2),
    ("not is_trainable", 2),
    ("has_pii is true", 1),
    ("is_trainable = false", 2),
    ("published_at >= date '2015-01-01'", 4),
    ("published_at < timestamp '2014-12-31 23:30:00'", 3),
    ("published_at < '2014-02-01'", 1),
    ("published_at is null", 1),
    ("published_at + interval 1 day > date '2015-05-29'", 1),
    ("year(published_at) = 2015 and month(published_at) = 5", 2),
    ("date_trunc('month', published_at) = date '2014-11-01'", 1),
    ("extract(hour from published_at) >= 23", 2),
    ("strftime(published_at, '%Y-%m') = '2015-05'", 2),
    ("metadata ->> 'video' = 'psy'", 2),
    ("json_extract_string(metadata, '$.author') = 'anon3'", 2),
    ("coalesce(label, 'unlabelled') = 'unlabelled'", 1),
    ("nullif(label, 'ham') is null", 4),
    ("case when split = 'test' then 1 else 0 end = 1", 2),
    ("split = 'train' and (video = 'lmfao' or author = 'anon1')", 3),
    ("label = 'spam' and not (video = 'psy')", 3),
    ("true", 8),
    ("(" * 24 + "true" + ")" * 24, 8),
]

#: One call of every allowed function name, over the columns above.
FUNCTION_EXAMPLES = {
    "lower": "lower(text)",
    "upper": "upper(text)",
    "lcase": "lcase(text)",
    "ucase": "ucase(text)",
    "length": "length(text)",
    "len": "len(text)",
    "char_length": "char_length(text)",
    "strlen": "strlen(text)",
    "trim": "trim(text)",
    "ltrim": "ltrim(text)",
    "rtrim": "rtrim(text)",
    "substring": "substring(text, 1, 3)",
    "substr": "substr(text, 2)",
    "left": "left(text, 2)",
    "right": "right(text, 2)",
    "starts_with": "starts_with(text, 'C')",
    "ends_with": "ends_with(text, 'y')",
    "contains": "contains(text, 'song')",
    "regexp_matches": "regexp_matches(text, '[0-9]+')",
    "regexp_full_match": "regexp_full_match(text, '.*song')",
    "regexp_extract": "regexp_extract(text, '[0-9]+')",
    "regexp_replace": "regexp_replace(text, '[0-9]', '#')",
    "replace": "replace(text, 'a', 'b')",
    "strpos": "strpos(text, 'a')",
    "instr": "instr(text, 'a')",
    "reverse": "reverse(text)",
    "levenshtein": "levenshtein(text, 'song')",
    "abs": "abs(label_confidence)",
    "round": "round(label_confidence, 1)",
    "floor": "floor(label_confidence)",
    "ceil": "ceil(label_confidence)",
    "ceiling": "ceiling(label_confidence)",
    "sign": "sign(cluster_size)",
    "sqrt": "sqrt(cluster_size)",
    "ln": "ln(cluster_size)",
    "log": "log(cluster_size)",
    "pow": "pow(cluster_size, 2)",
    "power": "power(cluster_size, 2)",
    "greatest": "greatest(cluster_size, n_annotations)",
    "least": "least(cluster_size, n_annotations)",
    "coalesce": "coalesce(label, 'none')",
    "ifnull": "ifnull(label, 'none')",
    "nullif": "nullif(label, 'ham')",
    "year": "year(published_at)",
    "quarter": "quarter(published_at)",
    "month": "month(published_at)",
    "week": "week(published_at)",
    "day": "day(published_at)",
    "dayofweek": "dayofweek(published_at)",
    "isodow": "isodow(published_at)",
    "dayofyear": "dayofyear(published_at)",
    "hour": "hour(published_at)",
    "minute": "minute(published_at)",
    "extract": "extract(month from published_at)",
    "date_part": "date_part('year', published_at)",
    "datepart": "datepart('year', published_at)",
    "date_trunc": "date_trunc('week', published_at)",
    "date_diff": "date_diff('day', published_at, timestamp '2016-01-01')",
    "datediff": "datediff('day', published_at, timestamp '2016-01-01')",
    "strftime": "strftime(published_at, '%Y')",
    "epoch": "epoch(published_at)",
    "json_extract_string": "json_extract_string(metadata, '$.video')",
    "if": "if(is_trainable, 1, 0)",
}


def _create_dim_items(con: duckdb.DuckDBPyConnection) -> None:
    """dim_items with the column types of COLUMNS and the rows of ITEMS."""
    con.execute(
        "create table dim_items ("
        + ", ".join(f'"{name}" {data_type}' for name, data_type in COLUMNS.items())
        + ")"
    )
    names = [name for name in COLUMNS if name != "metadata"]
    for item in ITEMS:
        row = dict(zip(names, item, strict=True))
        row["metadata"] = json.dumps({"video": row["video"], "author": row["author"]})
        values = [row[name] for name in COLUMNS]
        con.execute(f"insert into dim_items values ({', '.join('?' * len(values))})", values)


@pytest.fixture(scope="module")
def items() -> duckdb.DuckDBPyConnection:
    """An in-memory dim_items with ITEMS."""
    con = duckdb.connect()
    _create_dim_items(con)
    yield con
    con.close()


@pytest.fixture
def serving_home(tmp_path: Path) -> Path:
    """A home whose serving file holds dim_items (ITEMS) and fct_predictions (PREDICTIONS)."""
    with duckdb.connect(str(tmp_path / "serving.duckdb")) as con:
        _create_dim_items(con)
        con.execute(
            "create table fct_predictions (item_id varchar, split varchar, "
            "given_label varchar, is_trainable boolean, predicted_label varchar)"
        )
        con.executemany("insert into fct_predictions values (?, ?, ?, ?, ?)", PREDICTIONS)
    return tmp_path


def test_the_corpora_are_large_enough() -> None:
    assert len(INJECTIONS) >= 60
    assert len(LEGITIMATE) >= 15
    assert len({predicate for predicate, _ in INJECTIONS}) == len(INJECTIONS)


@pytest.mark.parametrize(("predicate", "reason"), INJECTIONS)
def test_injection_is_rejected_with_a_reason(predicate: str, reason: str) -> None:
    with pytest.raises(PredicateError) as rejected:
        validate_predicate(predicate, COLUMNS)
    message = str(rejected.value)
    assert re.search(reason, message), message
    assert "\n" not in message and "Traceback" not in message
    assert 10 <= len(message) <= 600


def test_rejection_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """sqlglot warns when it falls back to parsing a statement as a Command; no predicate of
    the corpus gets that far, so the CLI prints the reason and nothing else."""
    with caplog.at_level(logging.DEBUG, logger="sqlglot"):
        for predicate, _ in INJECTIONS:
            with pytest.raises(PredicateError):
                validate_predicate(predicate, COLUMNS)
    assert not caplog.records, [record.getMessage() for record in caplog.records]


@pytest.mark.parametrize(("predicate", "n_items"), LEGITIMATE)
def test_legitimate_predicate_is_accepted_and_selects_its_items(
    items: duckdb.DuckDBPyConnection, predicate: str, n_items: int
) -> None:
    safe = validate_predicate(predicate, COLUMNS)
    assert safe == validate_predicate(safe, COLUMNS), "the normal form is a fixed point"
    count = items.execute(f"select count(*) from dim_items where {safe}").fetchone()[0]
    assert count == n_items, safe


def test_every_column_type_is_used_by_an_accepted_predicate() -> None:
    used = {
        COLUMNS[name]
        for predicate, _ in LEGITIMATE
        for name in re.findall(r'"(\w+)"', validate_predicate(predicate, COLUMNS))
    }
    assert used == set(COLUMNS.values())


@pytest.mark.parametrize("name", sorted(FUNCTION_EXAMPLES))
def test_every_allowed_function_is_accepted_and_runs(
    items: duckdb.DuckDBPyConnection, name: str
) -> None:
    safe = validate_predicate(f"{FUNCTION_EXAMPLES[name]} is not null", COLUMNS)
    items.execute(f"select count(*) from dim_items where {safe}").fetchone()


def test_function_examples_cover_the_allow_list() -> None:
    assert set(FUNCTION_EXAMPLES) == set(ALLOWED_FUNCTION_NAMES)


def test_the_normal_form_quotes_columns_and_drops_nothing_else() -> None:
    safe = validate_predicate("Video = 'psy' AND length(text)<20", COLUMNS)
    assert safe == '"video" = \'psy\' AND LENGTH("text") < 20'


def test_a_quote_inside_a_literal_cannot_escape_it() -> None:
    safe = validate_predicate("label = 'x'' or 1=1 --'", COLUMNS)
    assert safe == "\"label\" = 'x'' or 1=1 --'"


def test_the_length_limit_is_inclusive() -> None:
    predicate = "label = '" + "x" * (MAX_PREDICATE_CHARS - 10) + "'"
    assert len(predicate) == MAX_PREDICATE_CHARS
    assert validate_predicate(predicate, COLUMNS).startswith('"label" = ')


def test_the_sandbox_cannot_read_files_even_without_the_validator(serving_home: Path) -> None:
    with custom_slices.sandboxed_connection(serving_home / "serving.duckdb") as con:
        assert con.execute("select count(*) from dim_items").fetchone()[0] == len(ITEMS)
        for sql in (
            "select * from read_csv('/etc/passwd')",
            "select * from read_text('/etc/hostname')",
            f"attach '{serving_home / 'other.duckdb'}' as other",
            f"copy dim_items to '{serving_home / 'leak.csv'}'",
        ):
            with pytest.raises(duckdb.PermissionException):
                con.execute(sql)
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("set enable_external_access = true")
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("delete from dim_items")
    assert not (serving_home / "leak.csv").exists()


def test_slice_metrics_count_evaluated_items_and_errors(serving_home: Path) -> None:
    rows = {row["split"]: row for row in slice_metrics(serving_home, "label = 'spam'")}
    assert list(rows) == ["train", "validation", "test", "all"]
    counts = {
        split: (row["n_matched_items"], row["n_items"], row["n_errors"], row["n_rest_items"])
        for split, row in rows.items()
    }
    # i5 is labelled but not trainable and i6 unscored: neither is evaluated
    assert counts == {
        "train": (2, 2, 1, 2),
        "validation": (2, 2, 1, 0),
        "test": (0, 0, 0, 0),
        "all": (4, 4, 2, 2),
    }
    # 1 error of 2 against 1 of 2: P(X >= 1) = 1 - C(2,0) C(2,2) / C(4,2) = 5/6
    assert rows["train"]["p_value"] == pytest.approx(5 / 6)
    assert rows["validation"]["p_value"] is None  # no rest to compare with
    assert rows["test"]["error_rate"] is None and rows["test"]["wilson_lower"] is None
    assert rows["all"]["predicate"] == "\"label\" = 'spam'"


def test_slice_metrics_say_why_there_is_nothing_to_measure(
    serving_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    empty_home = tmp_path_factory.mktemp("empty_home")
    with pytest.raises(SliceError, match=r"no serving file in .*: run `smartloop build"):
        slice_metrics(empty_home, "label = 'spam'")
    with pytest.raises(SliceError, match="selects no item of dim_items"):
        slice_metrics(serving_home, "label = 'neither'")
    with pytest.raises(PredicateError, match="function read_text is not allowed"):
        slice_metrics(serving_home, "read_text('/etc/passwd') is not null")
    with pytest.raises(PredicateError, match="cannot be evaluated on dim_items: Conversion"):
        slice_metrics(serving_home, "cast(text as integer) > 1")


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # (n_items, n_errors, n_split_items, n_split_errors): (difference, z, p); p is the
        # hypergeometric upper tail: for (10, 10, 20, 10) exactly 1 / C(20, 10)
        ((638, 41, 1322, 55), (0.0437954866267026, 3.98486691800183, 4.69807917283519e-05)),
        ((10, 0, 20, 0), (0.0, None, 1.0)),
        ((10, 10, 20, 10), (1.0, 4.47213595499958, 1 / 184756)),
        ((20, 5, 20, 5), (None, None, None)),
    ],
)
def test_compare_with_rest_matches_the_sql_formulas(
    counts: tuple[int, int, int, int], expected: tuple
) -> None:
    result = compare_with_rest(*counts)
    for key, value in zip(("error_rate_difference", "z_score", "p_value"), expected, strict=True):
        if value is None:
            assert result[key] is None, key
        else:
            assert result[key] == pytest.approx(value, rel=1e-6), key
