"""hypergeometric_upper_tail on tails long enough to be cut (hypergeometric_last_term).

The macros are compiled by ``dbt compile --inline`` and run in an in-memory DuckDB; the
p-values are checked against scipy's hypergeometric survival function.
"""

from __future__ import annotations

import math

import duckdb
import pyarrow as pa
import pytest
from scipy.stats import hypergeom

from tests.conftest import compiled_inline

pytestmark = pytest.mark.dbt

QUERY = """
with tails as (
    {{ hypergeometric_upper_tail(
        'cases', ['case_id'], population='n_population', population_successes='n_successes',
        draws='n_draws', successes='n_observed'
    ) }}
)
select
    cases.case_id,
    tails.p_value,
    {{ hypergeometric_last_term('n_population', 'n_successes', 'n_draws', 'n_observed') }}
        as last_term
from cases
left join tails on cases.case_id = tails.case_id
order by cases.case_id
"""

# (population, its successes, draws): a slice of a large split with a 5% and a 40% error rate
SHAPES = [(200_000, 10_000, 50_000), (200_000, 10_000, 150_000), (60_000, 24_000, 30_000)]


def _cases() -> list[tuple[int, int, int, int]]:
    cases = []
    for population, successes, draws in SHAPES:
        mean = draws * successes / population
        sd = math.sqrt(
            draws * successes / population * (1 - successes / population)
            * (population - draws) / (population - 1)
        )  # fmt: skip
        for shift in (-3, 0, 1, 3, 10):
            cases.append((population, successes, draws, round(mean + shift * sd)))
    return cases


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, float, int]]:
    compiled = compiled_inline(QUERY, tmp_path_factory.mktemp("fisher_dbt"))
    columns = list(zip(*_cases(), strict=True))
    cases = pa.table(
        {
            "case_id": pa.array(range(len(columns[0])), pa.int64()),
            **{
                name: pa.array(values, pa.int64())
                for name, values in zip(
                    ("n_population", "n_successes", "n_draws", "n_observed"), columns, strict=True
                )
            },
        }
    )
    with duckdb.connect() as con:
        con.register("cases", cases)
        return con.execute(compiled).fetchall()


def test_long_tails_are_cut(results) -> None:
    for (population, successes, draws, observed), (_, _, last) in zip(
        _cases(), results, strict=True
    ):
        assert observed <= last < min(draws, successes), (population, successes, draws, observed)


def test_cut_tails_give_scipys_p_values(results) -> None:
    for (population, successes, draws, observed), (_, p_value, _) in zip(
        _cases(), results, strict=True
    ):
        expected = hypergeom.sf(observed - 1, population, successes, draws)
        assert p_value == pytest.approx(expected, rel=1e-7, abs=1e-300), (
            population, successes, draws, observed
        )  # fmt: skip
