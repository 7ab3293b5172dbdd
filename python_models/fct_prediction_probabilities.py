import os

from dbt_common.invocation import get_invocation_id

from smartloop import frames, training


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt hands a Python model only the config keys it reads literally
    settings = training.settings_from_config(
        {
            "model_seed": dbt.config.get("model_seed"),
            "cv_folds": dbt.config.get("cv_folds"),
            "model_c": dbt.config.get("model_c"),
            "word_ngram_max": dbt.config.get("word_ngram_max"),
            "char_ngram_range": dbt.config.get("char_ngram_range"),
            "max_features": dbt.config.get("max_features"),
            "embedding_column": dbt.config.get("embedding_column"),
        }
    )
    # `smartloop build` passes --no-retrain in the environment (a var would make dbt parse
    # the whole project again); a direct dbt run sets var retrain
    flag = os.environ.get("SMARTLOOP_RETRAIN") or str(dbt.config.get("retrain"))
    retrain = flag.lower() not in ("false", "0", "no")
    model_dir = dbt.config.get("model_dir") or None
    items = frames.to_pandas(
        dbt.ref("int_items_labelled"),
        ["item_id", "text", "metadata", "split", "cluster_id", "label", "is_trainable"],
    )
    # as macros/current_build_id.sql: read when the model runs, not when dbt parses
    run_id = (
        dbt.config.get("build_id") or os.environ.get("SMARTLOOP_BUILD_ID") or get_invocation_id()
    )
    saved = None if retrain else training.reusable_model(model_dir, settings, items)
    previous = (
        frames.previous_rows(session, dbt.this, training.PREVIOUS_COLUMNS)
        if saved is not None
        else None
    )
    if saved is not None and previous is not None:
        return training.score_without_retraining(
            items, previous, saved, settings, model_run_id=run_id, model_dir=model_dir
        )
    return training.train_and_score(items, settings, model_run_id=run_id, model_dir=model_dir)
