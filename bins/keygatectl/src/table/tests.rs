use serde_json::json;

use super::{cell, object, rows};

#[test]
fn columns_align_on_the_widest_cell_and_colour_takes_no_room() {
    let columns = [("ID", "id"), ("STATE", "state"), ("SCOPES", "scopes")];
    let items = [
        json!({"id": "k1", "state": "active", "scopes": ["a:read", "b:write"]}),
        json!({"id": "a-longer-id", "state": "pending_approval", "scopes": []}),
    ];
    let plain = rows(&columns, &items, false);
    assert_eq!(
        plain,
        "ID           STATE             SCOPES\n\
         k1           active            a:read,b:write\n\
         a-longer-id  pending_approval  -\n",
        "aligned, lists joined, empty as -"
    );
    let coloured = rows(&columns, &items, true);
    let stripped = coloured.replace("\u{1b}[32m", "").replace("\u{1b}[33m", "").replace("\u{1b}[0m", "");
    assert_eq!(stripped, plain, "colour wraps the padded cell and changes nothing else");
    assert!(coloured.contains("\u{1b}[32mactive"), "active is green");
    assert!(coloured.contains("\u{1b}[33mpending_approval"), "what waits is yellow");
}

#[test]
fn an_object_flattens_to_member_and_value_lines() {
    let text =
        object(&json!({"id": "k1", "limits": {"amounts": [], "allowed_ips": ["10.0.0.0/8"]}, "notes": null}), false);
    assert_eq!(
        text,
        "id                  k1\nlimits.allowed_ips  10.0.0.0/8\nlimits.amounts      -\nnotes               -\n"
    );
}

#[test]
fn cells_read_as_a_person_would() {
    for (value, expected, what) in [
        (json!(null), "-", "null"),
        (json!("text"), "text", "a string unquoted"),
        (json!(42), "42", "a number"),
        (json!([{"currency": "XOF"}]), r#"[{"currency":"XOF"}]"#, "a list of objects as compact JSON"),
    ] {
        assert_eq!(cell(&value), expected, "{what}");
    }
}
