{#- The machine contract, models/staging/_sources.yml (source `landing`), as the models read
    it: column types for staging, rules and their quarantine reasons for validation, keys.
    While parsing dbt fills no `graph`: the contract is then empty. -#}

{% macro contract_table(table) %}
    {%- if not execute -%}
        {{ return({'name': table, 'columns': {}, 'config': {'meta': {'key': []}}}) }}
    {%- endif -%}
    {%- set sources = graph.get('sources') or contract_file_sources() -%}
    {%- for node in sources.values() if node.source_name == 'landing' and node.name == table -%}
        {{ return(node) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("table " ~ table ~ " is not in the contract (models/staging/_sources.yml)") }}
{% endmacro %}

{#- dbt gives unit tests a graph without sources: there the contract is read from the file
    itself (dbt runs from the project directory), shaped as graph.sources. A Spark build names
    a copy ($WAREHOUSE_CONTRACT_FILE): Spark skips files whose name starts with '_'. -#}
{% macro contract_file_sources() %}
    {%- set text = read_text_file(env_var('WAREHOUSE_CONTRACT_FILE', 'models/staging/_sources.yml')) -%}
    {%- set sources = {} -%}
    {%- for source in fromyaml(text).sources -%}
        {%- for table in source.tables -%}
            {%- set columns = {} -%}
            {%- for column in table.columns -%}
                {%- do columns.update({column.name: {'name': column.name, 'data_type': column.data_type,
                                                     'config': {'meta': column.get('config', {}).get('meta', {})}}}) -%}
            {%- endfor -%}
            {%- do sources.update({source.name ~ '.' ~ table.name: {'source_name': source.name, 'name': table.name,
                                   'columns': columns, 'config': {'meta': table.get('config', {}).get('meta', {})}}}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(sources) }}
{% endmacro %}

{#- The columns a re-delivery of a key replaces by. -#}
{% macro contract_key(table) -%}
    {{ return(contract_table(table).config.meta.key) }}
{%- endmacro %}

{#- {column: staging kind} (macros/typing.sql) in contract order; a text column with accepted
    values is a code (compared in lower case). -#}
{% macro contract_columns(table) %}
    {%- set kinds = {'text': 'text', 'integer': 'integer', 'decimal(18,2)': 'money', 'date': 'date',
                     'timestamp': 'timestamp', 'boolean': 'boolean'} -%}
    {%- set columns = {} -%}
    {%- for column in contract_table(table).columns.values() -%}
        {%- set data_type = (column.data_type or '') | replace(' ', '') | lower -%}
        {%- if data_type not in kinds -%}
            {{ exceptions.raise_compiler_error(table ~ "." ~ column.name ~ ": unknown data_type " ~ column.data_type) }}
        {%- endif -%}
        {%- set kind = 'code' if column.config.meta.get('accepted_values') else kinds[data_type] -%}
        {%- do columns.update({column.name: kind}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{#- The checks of one column's rules (not references, which need the other table):
    [(SQL condition true when broken, SQL reason)]. -#}
{% macro column_rule_checks(column) %}
    {%- set c, rule, checks = column.name, column.config.meta, [] -%}
    {%- if rule.get('accepted_values') -%}
        {%- set listed = sql_string('" is not one of ' ~ rule.accepted_values | join(', ')) -%}
        {%- do checks.append((c ~ ' not in ' ~ sql_in_list(rule.accepted_values), sql_string(c ~ ' "') ~ ' || ' ~ c ~ ' || ' ~ listed)) -%}
    {%- endif -%}
    {%- if rule.get('min') is not none -%}
        {%- do checks.append((c ~ ' < ' ~ rule.min, sql_string(c ~ (' is negative' if rule.min == 0 else ' is below ' ~ rule.min)))) -%}
    {%- endif -%}
    {%- if rule.get('exclusive_min') is not none -%}
        {%- do checks.append((c ~ ' <= ' ~ rule.exclusive_min,
            sql_string(c ~ (' is not positive' if rule.exclusive_min == 0 else ' is not above ' ~ rule.exclusive_min)))) -%}
    {%- endif -%}
    {%- if rule.get('not_zero') -%}
        {%- do checks.append((c ~ ' = 0', sql_string(c ~ ' is zero'))) -%}
    {%- endif -%}
    {%- if rule.get('not_before') -%}
        {%- do checks.append((c ~ ' < ' ~ rule.not_before, sql_string(c ~ ' is before ' ~ rule.not_before))) -%}
    {%- endif -%}
    {{ return(checks) }}
{% endmacro %}

{#- The quarantine reasons of one table's contract rules, as SQL arguments of concat_ws: every
    missing required value first, then each column's value rules, in contract order. -#}
{% macro contract_issues(table) -%}
    {%- set columns = contract_table(table).columns.values() | list -%}
    {%- set reasons = [] -%}
    {%- for column in columns if column.config.meta.get('required') -%}
        {%- do reasons.append(missing(column.name)) -%}
    {%- endfor -%}
    {%- for column in columns -%}
        {%- for condition, reason in column_rule_checks(column) -%}
            {%- do reasons.append('case when ' ~ condition ~ ' then ' ~ reason ~ ' end') -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ reasons | join(',\n            ') if reasons else 'null' }}
{%- endmacro %}

{#- The key of a row of contract table `table`, as text for people reading the quarantine
    (a second key column joined with the table's key_joiner). -#}
{% macro record_key(table) -%}
    {%- set meta = contract_table(table).config.meta -%}
    {%- if meta.key | length < 2 -%}
        {{ return(meta.key[0] if meta.key else 'null') }}
    {%- endif -%}
    {{ return(meta.key[0] ~ " || " ~ sql_string(meta.get('key_joiner', ' #')) ~ " || coalesce(" ~ meta.key[1] ~ "::string, '?')") }}
{%- endmacro %}

{#- Accepted rows of `model` that break a rule of contract table `table`: a missing required
    value, a value outside its rule (references have relationships tests). A key is not checked
    for repeats: with_delivery_state accepts at most one row per key by construction (the
    validated models' unit tests prove it), and the check cost more than every value rule
    together (docs/performance.md). -#}
{% test conforms_to_contract(model, table) %}
    {%- set node = contract_table(table) -%}
    {%- set checks = [] -%}
    {%- for column in node.columns.values() -%}
        {%- if column.config.meta.get('required') -%}
            {%- do checks.append((column.name ~ ' is null', sql_string(column.name ~ ' is missing'))) -%}
        {%- endif -%}
        {%- do checks.extend(column_rule_checks(column)) -%}
    {%- endfor %}
    {%- for condition, reason in checks %}
    select *, {{ reason }} as broken_rule from {{ model }} where {{ condition }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endtest %}
