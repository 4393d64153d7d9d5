//! The change feed as the server sends it: items with their documents as stored (JSON
//! text written by the server itself at write time), written out without parsing and
//! encoding each document again. The answer is byte for byte what serialising
//! [`Changes`](quickreply_proto::api::Changes) gives (the same fields in the same order),
//! so clients see no difference; the server does about half the work per item served,
//! which is what a lead's import fanned out to a hundred agents costs it (each agent
//! pulls every reply).

use quickreply_proto::api::{Changes, ItemDoc};

use super::rows::Cells;

/// An item row with its document as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawItem {
    pub key: String,
    pub version: i64,
    pub seq: i64,
    pub deleted: bool,
    /// `{"kind":…,"doc":…}` as stored (`None` for a tombstone).
    pub doc: Option<String>,
    pub updated_at: i64,
    pub op: String,
}

/// A page of the change feed with raw documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawChanges {
    pub items: Vec<RawItem>,
    pub cursor: i64,
    pub more: bool,
    /// The library's head the page was read at (not sent).
    pub head: i64,
}

/// A row of [`ITEM_COLUMNS`](super::rows::ITEM_COLUMNS) with its document unparsed.
pub fn raw_item_from<C: Cells>(c: &C) -> Result<RawItem, C::Error> {
    Ok(RawItem {
        key: c.text(0)?,
        version: c.int(1)?,
        seq: c.int(2)?,
        deleted: c.flag(3)?,
        doc: c.opt_text(4)?,
        updated_at: c.int(5)?,
        op: c.text(6)?,
    })
}

/// A page of the change feed after `since` (see [`super::page_end`]).
pub fn raw_changes_page(
    mut items: Vec<RawItem>,
    limit: usize,
    since: i64,
    head: i64,
) -> RawChanges {
    let over_count = items.len() > limit;
    items.truncate(limit);
    let (cursor, more) = super::page_end(items.last().map(|i| i.seq), over_count, since, head);
    RawChanges {
        items,
        cursor,
        more,
        head,
    }
}

impl RawChanges {
    /// The page as [`Changes`] JSON. A stored document that is not a JSON object (never
    /// written by this server) is parsed and encoded as [`Item`](quickreply_proto::api::Item) would be, so the answer
    /// is valid JSON whatever the database holds; one that does not parse is an error.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let docs: usize = self
            .items
            .iter()
            .map(|i| i.doc.as_ref().map_or(0, String::len) + 128)
            .sum();
        let mut out = Vec::with_capacity(docs + 64);
        out.extend_from_slice(b"{\"items\":[");
        for (n, item) in self.items.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_item(&mut out, item)?;
        }
        out.extend_from_slice(b"],\"cursor\":");
        out.extend_from_slice(self.cursor.to_string().as_bytes());
        out.extend_from_slice(b",\"more\":");
        out.extend_from_slice(if self.more { b"true" } else { b"false" });
        out.push(b'}');
        Ok(out)
    }
}

fn write_item(out: &mut Vec<u8>, item: &RawItem) -> Result<(), serde_json::Error> {
    out.extend_from_slice(b"{\"key\":");
    serde_json::to_writer(&mut *out, &item.key)?;
    out.extend_from_slice(format!(",\"version\":{},\"seq\":{}", item.version, item.seq).as_bytes());
    out.extend_from_slice(if item.deleted {
        b",\"deleted\":true"
    } else {
        b",\"deleted\":false"
    });
    if let Some(doc) = &item.doc {
        // `Item` flattens its document: the stored object's fields go in place.
        match doc.strip_prefix("{\"").and_then(|d| d.strip_suffix('}')) {
            Some(fields) => {
                out.extend_from_slice(b",\"");
                out.extend_from_slice(fields.as_bytes());
            }
            None => {
                let parsed: ItemDoc = serde_json::from_str(doc)?;
                let encoded = serde_json::to_vec(&parsed)?;
                if let Some(fields) = encoded
                    .strip_prefix(b"{")
                    .and_then(|d| d.strip_suffix(b"}"))
                {
                    out.push(b',');
                    out.extend_from_slice(fields);
                }
            }
        }
    }
    out.extend_from_slice(format!(",\"updated_at\":{},\"op\":", item.updated_at).as_bytes());
    serde_json::to_writer(&mut *out, &item.op)?;
    out.push(b'}');
    Ok(())
}

/// The page as [`Changes`] (parsing every document), for callers that need the items.
impl TryFrom<RawChanges> for Changes {
    type Error = serde_json::Error;

    fn try_from(raw: RawChanges) -> Result<Changes, serde_json::Error> {
        serde_json::from_slice(&raw.to_json()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickreply_proto::api::{Item, VariableDoc};
    use quickreply_proto::{Part, SnippetDoc};
    use uuid::Uuid;

    fn raw(item: &Item) -> RawItem {
        RawItem {
            key: item.key.clone(),
            version: item.version,
            seq: item.seq,
            deleted: item.deleted,
            doc: item
                .doc
                .as_ref()
                .map(|d| serde_json::to_string(d).unwrap_or_default()),
            updated_at: item.updated_at,
            op: item.op.clone(),
        }
    }

    #[test]
    fn a_raw_page_is_byte_for_byte_the_typed_one() -> Result<(), serde_json::Error> {
        let snippet = Item {
            key: "0190a0a0-0000-7000-8000-000000000001".into(),
            version: 3,
            seq: 7,
            deleted: false,
            doc: Some(ItemDoc::Snippet(SnippetDoc {
                id: Uuid::nil(),
                folder_id: None,
                title: "发货\"时间\"\n".into(),
                code: Some("fh".into()),
                tags: vec!["物流".into()],
                parts: vec![Part::Text {
                    body: "亲，\\今天发货 🚚".into(),
                }],
                apps: vec![],
                position: -2,
                starts_at: None,
                ends_at: None,
            })),
            updated_at: 1_700_000_000_123,
            op: "op\"1".into(),
        };
        let variable = Item {
            key: "var:店名".into(),
            version: 1,
            seq: 8,
            deleted: false,
            doc: Some(ItemDoc::Variable(VariableDoc {
                name: "店名".into(),
                value: "小美".into(),
                description: String::new(),
                overridable: true,
                example: true,
            })),
            updated_at: 5,
            op: "o2".into(),
        };
        let tombstone = Item {
            key: "gone".into(),
            version: 2,
            seq: 9,
            deleted: true,
            doc: None,
            updated_at: 6,
            op: "o3".into(),
        };
        for (items, cursor, more) in [
            (vec![snippet, variable, tombstone], 9, true),
            (vec![], 0, false),
        ] {
            let typed = Changes {
                items: items.clone(),
                cursor,
                more,
            };
            let page = RawChanges {
                items: items.iter().map(raw).collect(),
                cursor,
                more,
                head: cursor,
            };
            assert_eq!(
                String::from_utf8_lossy(&page.to_json()?),
                serde_json::to_string(&typed)?
            );
            assert_eq!(Changes::try_from(page)?, typed);
        }
        Ok(())
    }

    #[test]
    fn a_stored_document_in_another_form_is_encoded_as_an_item_would_be()
    -> Result<(), serde_json::Error> {
        let item = Item {
            key: "var:a".into(),
            version: 1,
            seq: 1,
            deleted: false,
            doc: Some(ItemDoc::Variable(VariableDoc {
                name: "a".into(),
                value: "1".into(),
                description: String::new(),
                overridable: false,
                example: false,
            })),
            updated_at: 1,
            op: "o".into(),
        };
        let mut stored = raw(&item);
        // Whitespace before the first field: not spliced, parsed.
        stored.doc =
            Some(" {\"kind\":\"variable\",\"doc\":{\"name\":\"a\",\"value\":\"1\"}}".into());
        let page = RawChanges {
            items: vec![stored.clone()],
            cursor: 1,
            more: false,
            head: 1,
        };
        let typed = Changes {
            items: vec![item],
            cursor: 1,
            more: false,
        };
        assert_eq!(
            String::from_utf8_lossy(&page.to_json()?),
            serde_json::to_string(&typed)?
        );
        stored.doc = Some("not json".into());
        let bad = RawChanges {
            items: vec![stored],
            cursor: 1,
            more: false,
            head: 1,
        };
        assert!(bad.to_json().is_err());
        Ok(())
    }
}
