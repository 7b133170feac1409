-- Every (r, f) cell of the 5 x 5 score grid is covered by exactly one rule of
-- rfm_segment_map, and every segment owns at least one cell (none is unreachable).
with grid as (
    select r, f from range(1, 6) as rs(r), range(1, 6) as fs(f)
),

cells as (
    select grid.r, grid.f, count(m.segment) as rules
    from grid
    left join {{ ref('rfm_segment_map') }} as m
        on grid.r between m.r_min and m.r_max and grid.f between m.f_min and m.f_max
    group by grid.r, grid.f
),

segments as (
    select m.segment, count(grid.r) as cells
    from {{ ref('rfm_segment_map') }} as m
    left join grid on grid.r between m.r_min and m.r_max and grid.f between m.f_min and m.f_max
    group by m.segment
)

select 'cell ' || r || ',' || f || ' has ' || rules || ' rules' as problem from cells where rules <> 1
union all
select 'segment ' || segment || ' is unreachable' from segments where cells = 0
