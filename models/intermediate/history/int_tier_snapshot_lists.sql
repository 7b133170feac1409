{#- Per customer known at D, the tier snapshot's two lists: scheme_tiers (scheme -> tier,
    buyers only) and tier_assignments (the assignment in every scheme, sorted by scheme; read back
    on the next date by int_stored_tier_assignments). On DuckDB the grouping keeps every
    customer's entries in memory, so a large landing is aggregated in slices of customers, one
    statement each: the model's query takes slice 0 and its post-hook inserts the others
    (snapshot_list_passes). -#}
{{ config(materialized='table', post_hook="{{ snapshot_list_inserts(snapshot_list_passes()) }}") }}

{{ snapshot_lists(0, snapshot_list_passes()) }}
