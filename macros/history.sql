{#- int_tier_snapshot_lists, the customers of one slice (by customer_id hash) of `passes`, in one
    grouping of int_tier_assignments: scheme_tiers (a buyer's computed tier per scheme; null for
    a non-buyer), tier_assignments, and assignment_changed (an assignment in some scheme is not
    `kept`). Both lists hold one entry per scheme, in scheme order: one aggregate per scheme of
    seed tier_schemes (a customer has one row per scheme), which keeps a fixed state per
    customer; collecting each customer's rows and sorting them took 1.6x as long at 1M. -#}
{% macro snapshot_lists(slice, passes) %}
    {%- set in_slice -%}
        {%- if passes > 1 %} and {{ hash_slice(hash64(['customer_id']), passes) }} = {{ slice }}{% endif -%}
    {%- endset %}
    {%- set schemes = tier_scheme_names() %}
    {%- set assignment = struct_of({
        'scheme': 'scheme', 'computed_tier': 'computed_tier', 'assigned_tier': 'assigned_tier',
        'assigned_since': 'assigned_since', 'next_review_date': 'next_review_date',
        'assignment_reason': 'assignment_reason'}) %}
    {%- set buyer_tiers, assignments = [], [] %}
    {%- for scheme in schemes %}
        {%- set in_scheme = 'filter (where scheme = ' ~ sql_string(scheme) ~ ')' %}
        {%- do buyer_tiers.append('case when bool_or(is_buyer) ' ~ in_scheme ~ ' then '
            ~ struct_of({'key': sql_string(scheme), 'value': 'first(computed_tier) ' ~ in_scheme}) ~ ' end') %}
        {%- do assignments.append('first(' ~ assignment ~ ') ' ~ in_scheme) %}
    {%- endfor %}
    select
        customer_id,
        case when bool_or(is_buyer) then map_from_entries({{ list_without_nulls(buyer_tiers) }}) end as scheme_tiers,
        {{ list_without_nulls(assignments) }} as tier_assignments,
        bool_or(assignment_reason <> 'kept') as assignment_changed
    from {{ ref('int_tier_assignments') }}
    where true{{ in_slice }}
    group by customer_id
{% endmacro %}

{#- The schemes of seed tier_schemes, in order (none while dbt parses). -#}
{% macro tier_scheme_names() %}
    {%- set seed = ref('tier_schemes') -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set names = run_query('select distinct scheme from ' ~ seed ~ ' order by scheme').columns[0].values() | list -%}
    {%- if not names -%}{{ exceptions.raise_compiler_error('seed tier_schemes holds no scheme') }}{%- endif -%}
    {{ return(names) }}
{% endmacro %}

{#- The statements that add slices 1 to passes - 1 (none for one pass). -#}
{% macro snapshot_list_inserts(passes) %}
    {%- for slice in range(1, passes) %}
    insert into {{ this }} {{ snapshot_lists(slice, passes) }};
    {%- endfor %}
{% endmacro %}

{#- How many slices: the customers landed (landing inventory) over
    var('snapshot_list_customers_per_pass'), on DuckDB; Spark's aggregation spills: one. -#}
{% macro snapshot_list_passes() %}
    {{ return(adapter.dispatch('snapshot_list_passes')()) }}
{% endmacro %}
{% macro duckdb__snapshot_list_passes() %}
    {%- set customers = landing_table_files('customers') | sum(attribute='rows') -%}
    {{ return([1, (customers / var('snapshot_list_customers_per_pass')) | round(0, 'ceil') | int] | max) }}
{% endmacro %}
{% macro spark__snapshot_list_passes() %}{{ return(1) }}{% endmacro %}

{#- The event logs (tier_assignment_history, membership_level_history) are kept from night to
    night. A row of a stored date is computed from that date's stored snapshot (and, for the
    tier or level before it, the log's earlier rows); the rows of D and of dates the club
    replays are computed by the build. Each log records what it was computed from in
    <log>__snapshots: every stored date before D with its file's stamp (landing inventory), D
    with this run's marker (event_log_marker), and the other dates the build computed without a
    snapshot. Storing D's snapshot leaves the log's marker beside it (store_snapshot), and a
    snapshot with its log's marker counts by that marker: the next night keeps D's rows. An
    incremental run recomputes from the first date where that record and tonight's stored
    snapshots differ (a snapshot new, rewritten or gone, a date computed by a build whose
    snapshot was not stored) and keeps the rows before it. none: every row is computed (not an
    incremental run, or nothing recorded). -#}
{% macro event_log_recompute_from() %}
    {%- if not (execute and is_incremental()) -%}{{ return(none) }}{%- endif -%}
    {%- set recorded = adapter.get_relation(this.database, this.schema, this.identifier ~ '__snapshots') -%}
    {%- if recorded is none -%}{{ return(none) }}{%- endif -%}
    {%- set query -%}
        with stored as ({{ stored_snapshot_stamps() }}),
        changed as (
            (select as_of_date, stamp from {{ recorded }} except select as_of_date, stamp from stored)
            union all
            (select as_of_date, stamp from stored except select as_of_date, stamp from {{ recorded }})
        )
        select cast(least(coalesce(min(as_of_date), date '{{ run_as_of() }}'), date '{{ run_as_of() }}') as varchar)
        from changed
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{% endmacro %}

{#- The stored snapshots, every date (landing inventory: path, as_of, stamp, club_state, columns). -#}
{% macro stored_snapshots() %}
    {{ return(landing_inventory().history_snapshots) }}
{% endmacro %}

{#- The stored snapshots' files, every date. -#}
{% macro stored_snapshot_files() %}
    {{ return(stored_snapshots() | map(attribute='path') | list) }}
{% endmacro %}

{#- The stored snapshots of dates before D. -#}
{% macro stored_snapshots_before_d() %}
    {{ return(stored_snapshots() | selectattr('as_of', 'lt', run_as_of()) | list) }}
{% endmacro %}

{#- The newest of them (with a club state: the newest that holds one) as a date literal;
    null when there is none. -#}
{% macro newest_stored_date(with_club_state=false) -%}
    {%- set dates = stored_snapshots_before_d() | selectattr('club_state', 'in', [true] if with_club_state else [true, false])
                    | map(attribute='as_of') | list -%}
    {%- if dates %}date '{{ dates | max }}'{% else %}null::date{% endif -%}
{%- endmacro %}

{#- The stored snapshots of dates before D and their stamps, as the event log `this` counts them:
    its marker where the snapshot carries one (landing inventory: computed_by), else the file's stamp. -#}
{% macro stored_snapshot_stamps() -%}
    select null::date as as_of_date, null::{{ text_type() }} as stamp where false
    {%- for s in stored_snapshots_before_d() %}
    union all select date '{{ s.as_of }}', {{ sql_string((s.computed_by or {}).get(this.identifier) or s.stamp) }}
    {%- endfor %}
{%- endmacro %}

{#- What an event log records for the date D it computes itself: unique to this dbt run. -#}
{% macro event_log_marker() -%}
    computed by dbt invocation {{ invocation_id }}
{%- endmacro %}

{#- Pre-hook of an event log: on an incremental run, remove the rows it computes. -#}
{% macro delete_recomputed_events() %}
    {%- if execute and is_incremental() -%}
    {%- set recompute_from = event_log_recompute_from() -%}
    delete from {{ this }}
    {%- if recompute_from is not none %} where as_of_date >= date '{{ recompute_from }}'{% endif %}
    {%- endif -%}
{% endmacro %}

{#- Post-hook of an event log: record what it was computed from (event_log_recompute_from);
    `computed_dates`: a relation whose as_of_date lists the other dates the build computed
    (D is always one). Spark builds are always full (docs/spark.md): nothing to record. -#}
{% macro record_event_log_snapshots(computed_dates=none) %}
    {{ return(adapter.dispatch('record_event_log_snapshots')(computed_dates)) }}
{% endmacro %}
{% macro duckdb__record_event_log_snapshots(computed_dates) %}
    create or replace table {{ this.incorporate(path={'identifier': this.identifier ~ '__snapshots'}) }} as
    {{ stored_snapshot_stamps() }}
    union select date '{{ run_as_of() }}', {{ sql_string(event_log_marker()) }}
    {%- if computed_dates %}
    union select as_of_date, null from {{ computed_dates }} where as_of_date <> date '{{ run_as_of() }}'
    {%- endif %}
    order by all
{% endmacro %}
{% macro spark__record_event_log_snapshots(computed_dates) %}{% endmacro %}
