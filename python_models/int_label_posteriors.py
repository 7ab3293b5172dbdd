from smartloop import consensus, frames


def model(dbt, session):
    dbt.config(materialized="table")
    evidence = frames.to_pandas(
        dbt.ref("int_label_evidence"), ["item_id", "annotator_id", "label", "weight"]
    )
    return consensus.posterior_table(
        evidence,
        tolerance=float(dbt.config.get("dawid_skene_tolerance")),
        max_iterations=int(dbt.config.get("dawid_skene_max_iterations")),
    )
