from smartloop import clusters


def model(dbt, session):
    dbt.config(materialized="table")
    items = dbt.ref("int_items_retained")
    pairs = dbt.ref("int_item_pairs_matched")
    return clusters.duplicate_clusters(
        items, pairs, group_column=dbt.config.get("duplicate_group_column")
    )
