use std::os::unix::fs::PermissionsExt as _;

use serde_json::json;

use super::{take, NewSecretFile};

#[test]
fn secrets_are_taken_out_at_their_paths_in_order() {
    let mut value = json!({
        "id": "acme",
        "invitations": [{"operator": {"id": "o1"}, "invitation": "first"}, {"operator": {"id": "o2"}, "invitation": "second"}],
    });
    let mut found = Vec::new();
    take(&mut value, &["invitations", "*", "invitation"], &mut found);
    assert_eq!(found, ["first", "second"], "every element, in order");
    assert!(!value.to_string().contains("invitation\""), "none left behind: {value}");
    let mut created = json!({"key": {"id": "k"}, "secret": "kg_test_1x"});
    let mut found = Vec::new();
    take(&mut created, &["secret"], &mut found);
    assert_eq!((found, created), (vec!["kg_test_1x".to_owned()], json!({"key": {"id": "k"}})));
}

#[test]
fn a_secret_file_is_new_owner_only_and_removed_when_nothing_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    {
        let mut file = NewSecretFile::create(&path).unwrap();
        file.line("s3cret").unwrap();
    }
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "owner only from its creation");
    assert!(NewSecretFile::create(&path).is_err(), "an existing file is never reused");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cret\n", "and is left as it was");
    let unused = dir.path().join("unused");
    drop(NewSecretFile::create(&unused).unwrap());
    assert!(!unused.exists(), "a file the failed request never filled is removed");
}
