"""The machine contract (models/staging/_sources.yml) loads, and agrees with the human statement
(../shared/source-contract.md) on tables, keys, columns, types, optional columns, required
values and accepted values."""

import re

import pytest
import yaml

from tiering.contract import CONTRACT_FILE, TABLES, load_contract, parse_contract
from tiering.project import PROJECT_DIR

pytestmark = pytest.mark.fast  # the quick tier: make test-fast

HUMAN_CONTRACT = PROJECT_DIR.parent / "shared" / "source-contract.md"
HEADING = re.compile(r"^### (\w+)\s+\(key: ([^)]*)\)")


def human_tables(markdown: str) -> dict[str, dict]:
    """{table: {key, columns: {name: (type, rule)}}} from the '### table (key: ...)' sections."""
    tables, current = {}, None
    for line in markdown.splitlines():
        if heading := HEADING.match(line):
            current = {"key": tuple(k.strip() for k in heading[2].split(",")), "columns": {}}
            tables[heading[1]] = current
        elif line.startswith("#"):
            current = None
        elif current is not None and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 3 and cells[0] not in ("column", "") and not set(cells[0]) <= {"-"}:
                current["columns"][cells[0]] = (cells[1].replace(" ", "").lower(), cells[2])
    return tables


def differences(human: dict[str, dict], machine: dict) -> list[str]:
    """Where the two statements disagree, one line each."""
    out = []
    if list(human) != list(machine):
        out.append(f"tables: human {list(human)}, machine {list(machine)}")
    for name in set(human) & set(machine):
        h, m = human[name], machine[name]
        if h["key"] != m.key:
            out.append(f"{name}: key human {h['key']}, machine {m.key}")
        if list(h["columns"]) != [c.name for c in m.columns]:
            out.append(f"{name}: columns human {list(h['columns'])}, machine {[c.name for c in m.columns]}")
        for column in m.columns:
            if column.name not in h["columns"]:
                continue
            human_type, rule = h["columns"][column.name]
            if human_type != column.data_type:
                out.append(f"{name}.{column.name}: type human {human_type}, machine {column.data_type}")
            if rule.startswith("optional column") != column.optional:
                out.append(f"{name}.{column.name}: optional human {not column.optional}, machine {column.optional}")
            if "not null" in rule and not column.rules.get("required"):
                out.append(f"{name}.{column.name}: not null in the human contract, not required in the machine one")
            if (parent := re.match(r"must exist in (\w+)", rule)) and not column.rules.get("references", "").startswith(
                parent[1] + "."
            ):
                out.append(
                    f"{name}.{column.name}: references {parent[1]} in the human contract, not in the machine one"
                )
            if listed := re.match(r"one of (.*)", rule):
                values = [v.strip() for v in listed[1].split(",")]
                if values != column.rules.get("accepted_values"):
                    out.append(
                        f"{name}.{column.name}: values human {values}, machine {column.rules.get('accepted_values')}"
                    )
    return out


@pytest.fixture(scope="module")
def human_text() -> str:
    if not HUMAN_CONTRACT.exists():
        pytest.skip(f"no human contract at {HUMAN_CONTRACT} (a clone without ../shared)")
    return HUMAN_CONTRACT.read_text()


def test_machine_contract_agrees_with_the_human_one(human_text):
    assert differences(human_tables(human_text), TABLES) == []


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            ("| amount | decimal(18,2) |", "| amount | double |"),
            "invoices.amount: type human double, machine decimal(18,2)",
        ),
        (("| region | text | |\n", ""), "customers: columns human"),
        (("(key: event_id)", "(key: event_id, customer_id)"), "service_events: key human"),
        (("### invoices", "### bills"), "tables: human"),
        (
            (
                "| customer_id | text | must exist in customers |\n| invoice_date",
                "| customer_id | text | must exist in orders |\n| invoice_date",
            ),
            "invoices.customer_id: references orders",
        ),
        (("one of completed, cancelled", "one of completed, cancelled, returned"), "orders.status: values human"),
    ],
)
def test_a_disagreement_is_named(human_text, edit, expected):
    assert edit[0] in human_text
    found = differences(human_tables(human_text.replace(*edit)), TABLES)
    assert any(line.startswith(expected) for line in found), found


def test_contract_declares_the_six_tables_with_keys_and_optional_columns():
    assert list(TABLES) == ["customers", "orders", "order_lines", "service_events", "invoices", "activity_rates"]
    assert TABLES["order_lines"].key == ("order_id", "line_number")
    customers = TABLES["customers"]
    assert [c.name for c in customers.columns if c.optional] == ["industry", "employee_count", "annual_revenue"]
    assert customers.required_schema.names == ["customer_id", "customer_name", "segment", "region", "created_date"]
    assert str(customers.schema.field("annual_revenue").type) == "decimal128(18, 2)"
    assert customers.column("employee_count").duckdb_type == "integer"


def test_dbt_var_contract_tables_lists_the_contract_tables():
    """dbt must know the table list while parsing (refs), before the contract is readable."""
    config = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    assert config["vars"]["contract_tables"] == list(TABLES)


def document(**changes) -> dict:
    doc = yaml.safe_load(CONTRACT_FILE.read_text())
    doc["sources"][0]["tables"][0].update(changes)
    return doc


def test_unknown_type_or_undeclared_key_is_refused():
    bad_type = document(columns=[{"name": "customer_id", "data_type": "uuid"}])
    with pytest.raises(ValueError, match="customers.customer_id: data_type 'uuid'"):
        parse_contract(bad_type)
    with pytest.raises(ValueError, match=r"customers: key \['id'\] must name declared columns"):
        parse_contract(document(config={"meta": {"key": ["id"]}}))
    with pytest.raises(ValueError, match="no source named 'landing'"):
        parse_contract({"sources": [{"name": "raw", "tables": []}]})


def test_load_contract_reads_a_file(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(document(name="clients")))
    assert list(load_contract(path))[0] == "clients"


def test_every_reference_has_a_relationships_test_on_the_accepted_rows():
    accepted = yaml.safe_load((PROJECT_DIR / "models" / "intermediate" / "landing" / "_accepted.yml").read_text())
    tested = {
        (
            model["name"],
            column["name"],
            test["relationships"]["arguments"]["to"],
            test["relationships"]["arguments"]["field"],
        )
        for model in accepted["models"]
        for column in model.get("columns") or []
        for test in column.get("data_tests") or []
        if isinstance(test, dict) and "relationships" in test
    }
    declared = {
        (
            f"int_{table.name}",
            column.name,
            f"ref('int_{column.rules['references'].split('.')[0]}')",
            column.rules["references"].split(".")[1],
        )
        for table in TABLES.values()
        for column in table.columns
        if column.rules.get("references")
    }
    assert declared and declared == tested
