{#- Landing files that were not read at all, with the reason (listed by the landing inventory). -#}
select
    params.as_of_date,
    table_name::string as table_name,
    source_file::string as source_file,
    reason::string as reason
from {{ inventory_rows('rejected_files_file', rejected_files_prototype()) }}
cross join {{ ref('int_run_parameters') }} as params
order by table_name, source_file
