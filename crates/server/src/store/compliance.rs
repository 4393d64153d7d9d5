//! The compliance check on writes to a team library, decided once for both backends with
//! the clients' own code ([`quickreply_proto::compliance`]): a reply holding a word whose
//! rule the lead set to block is refused (`422 compliance_blocked`, naming the word and
//! the rule), and a write of the team's policy itself (the variable
//! [`POLICY_VAR`](quickreply_proto::compliance::POLICY_VAR)) must be one clients can
//! read. Each backend reads the library's stored policy in the write's transaction.

use quickreply_proto::LibraryKind;
use quickreply_proto::api::{Item, ItemDoc, VAR_PREFIX};
use quickreply_proto::compliance::{POLICY_VAR, Policy, blocked};

use super::{ItemWrite, LibraryRow};
use crate::Error;

/// The item key of a library's policy.
pub fn policy_key() -> String {
    format!("{VAR_PREFIX}{POLICY_VAR}")
}

/// Whether this write is checked against the library's stored policy: a reply written
/// to a team library.
pub fn needs_policy(w: &ItemWrite, lib: &LibraryRow) -> bool {
    lib.kind == LibraryKind::Team && matches!(w.doc, Some(ItemDoc::Snippet(_)))
}

/// The policy stored in a library's policy item (absent, deleted or unreadable: none;
/// an unreadable one could only come from before this check, and blocks nothing).
fn stored_policy(item: Option<&Item>) -> Policy {
    match item.and_then(|i| i.doc.as_ref()) {
        Some(ItemDoc::Variable(v)) => Policy::parse(&v.value).unwrap_or_default(),
        _ => Policy::default(),
    }
}

/// Refuses a write the team's policy blocks (`policy_item`: the library's stored policy
/// item, read when [`needs_policy`]), or a policy clients could not read.
pub fn check(w: &ItemWrite, lib: &LibraryRow, policy_item: Option<&Item>) -> Result<(), Error> {
    match &w.doc {
        Some(ItemDoc::Variable(v)) if w.key == policy_key() => Policy::parse(&v.value)
            .map(|_| ())
            .map_err(|e| Error::BadRequest(e.en())),
        Some(ItemDoc::Snippet(doc)) if lib.kind == LibraryKind::Team => {
            match blocked(doc, &stored_policy(policy_item)) {
                None => Ok(()),
                Some((hit, platform)) => Err(Error::ComplianceBlocked(format!(
                    "“{}” in “{}”: {} — {}{}; the team blocks rule {} (「{}」：{}，团队已禁止发送)",
                    hit.word,
                    doc.title,
                    hit.rule_en(),
                    hit.reason_en(),
                    platform
                        .map(|p| format!(" ({})", p.en()))
                        .unwrap_or_default(),
                    hit.rule,
                    hit.word,
                    hit.rule_zh(),
                ))),
            }
        }
        _ => Ok(()),
    }
}
