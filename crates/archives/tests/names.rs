//! Organisation names grouped as data: `tests/names.txt` holds paragraphs of
//! names; every name of a paragraph must share one key, and no two
//! paragraphs may share one.

use std::collections::HashMap;

use selfdata_archives::key;

#[test]
fn names_group_as_names_txt_says() {
    let text = include_str!("names.txt");
    let mut groups: Vec<Vec<&str>> = vec![Vec::new()];
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !groups.last().unwrap().is_empty() {
                groups.push(Vec::new());
            }
        } else {
            groups.last_mut().unwrap().push(line);
        }
    }
    groups.retain(|g| !g.is_empty());
    assert!(groups.len() >= 25, "{} groups", groups.len());
    let mut owner: HashMap<String, &str> = HashMap::new();
    let mut failures = Vec::new();
    for group in &groups {
        let k = key(group[0]);
        for name in group {
            if key(name) != k {
                failures.push(format!(
                    "{name:?} → {:?}, but {:?} → {k:?}",
                    key(name),
                    group[0]
                ));
            }
        }
        if let Some(other) = owner.insert(k.clone(), group[0]) {
            failures.push(format!("{:?} and {other:?} share the key {k:?}", group[0]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
