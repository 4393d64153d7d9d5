//! Three-way merge of item documents, field by field: the last common version (`base`),
//! this device's (`mine`) and the server's (`theirs`).

use serde_json::{Map, Value};

use quickreply_proto::api::ItemDoc;

/// The result of merging.
#[derive(Debug, PartialEq)]
pub enum Merged {
    /// Both sides changed different fields (or the same field the same way).
    Clean(ItemDoc),
    /// Both changed the same field differently; the names of those fields.
    Conflict(Vec<String>),
}

fn fields(doc: &ItemDoc) -> Map<String, Value> {
    match serde_json::to_value(doc) {
        Ok(Value::Object(mut m)) => match m.remove("doc") {
            Some(Value::Object(d)) => d,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

/// Merge `mine` and `theirs` against `base` (`None`: there was no common version, so
/// every field both set differently conflicts).
pub fn merge(base: Option<&ItemDoc>, mine: &ItemDoc, theirs: &ItemDoc) -> Merged {
    if std::mem::discriminant(mine) != std::mem::discriminant(theirs) {
        return Merged::Conflict(vec!["kind".into()]);
    }
    let b = base.map(fields).unwrap_or_default();
    let m = fields(mine);
    let t = fields(theirs);
    let mut out = t.clone();
    let mut conflicts = Vec::new();
    let keys: std::collections::BTreeSet<&String> = m.keys().chain(t.keys()).collect();
    for k in keys {
        let (bv, mv, tv) = (b.get(k), m.get(k), t.get(k));
        if mv == tv || mv == bv {
            continue; // same on both sides, or only theirs changed: theirs is in `out`
        }
        if tv == bv {
            match mv {
                Some(v) => out.insert(k.clone(), v.clone()),
                None => out.remove(k),
            };
        } else {
            conflicts.push(k.clone());
        }
    }
    if !conflicts.is_empty() {
        return Merged::Conflict(conflicts);
    }
    let kind = match serde_json::to_value(theirs) {
        Ok(Value::Object(o)) => o.get("kind").cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let mut whole = Map::new();
    whole.insert("kind".into(), kind);
    whole.insert("doc".into(), Value::Object(out));
    match serde_json::from_value(Value::Object(whole)) {
        Ok(doc) => Merged::Clean(doc),
        Err(e) => Merged::Conflict(vec![e.to_string()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickreply_proto::{Part, SnippetDoc};
    use uuid::Uuid;

    fn doc(title: &str, body: &str, tags: &[&str]) -> ItemDoc {
        ItemDoc::Snippet(SnippetDoc {
            id: Uuid::nil(),
            folder_id: None,
            title: title.into(),
            code: None,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            parts: vec![Part::Text { body: body.into() }],
            apps: vec![],
            position: 0,
            starts_at: None,
            ends_at: None,
        })
    }

    #[test]
    fn disjoint_edits_merge() {
        let base = doc("发货时间", "48小时内发货", &[]);
        let mine = doc("发货时间", "24小时内发货", &[]);
        let theirs = doc("发货时效", "48小时内发货", &["物流"]);
        assert_eq!(
            merge(Some(&base), &mine, &theirs),
            Merged::Clean(doc("发货时效", "24小时内发货", &["物流"]))
        );
    }

    #[test]
    fn same_field_edits_conflict() {
        let base = doc("t", "a", &[]);
        let mine = doc("t", "b", &[]);
        let theirs = doc("t", "c", &[]);
        assert_eq!(
            merge(Some(&base), &mine, &theirs),
            Merged::Conflict(vec!["parts".into()])
        );
        // The same change on both sides is no conflict.
        assert_eq!(
            merge(Some(&base), &mine, &mine.clone()),
            Merged::Clean(mine.clone())
        );
    }

    #[test]
    fn without_a_base_differences_conflict() {
        let mine = doc("t", "b", &[]);
        let theirs = doc("t", "c", &[]);
        assert!(matches!(merge(None, &mine, &theirs), Merged::Conflict(_)));
    }

    #[test]
    fn removing_an_optional_field_merges() {
        let base = doc("t", "a", &["x"]);
        let mine = doc("t", "a", &[]);
        let theirs = doc("t2", "a", &["x"]);
        assert_eq!(
            merge(Some(&base), &mine, &theirs),
            Merged::Clean(doc("t2", "a", &[]))
        );
    }
}
