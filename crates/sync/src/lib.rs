//! The sync client: joins a `quickreply-server`, sends local changes from the outbox,
//! pulls the change feed of every synced library, resolves conflicts, and checks that
//! this device and the server agree (digests).
//!
//! How local edits reach the server: triggers of store migration 2 put every change of a
//! synced library into `outbox` in the same transaction as the change itself, so an
//! acknowledged local edit survives any crash. [`sync_once`] first pushes the outbox
//! (each entry is one item with its own `If-Match` check, which catches concurrent edits;
//! consecutive entries of a library go in batch requests, see `batch`),
//! then pulls each library from its cursor and applies the page and the new cursor in
//! one transaction. `sync_items` keeps the server's version of every item ("shadow"):
//! the base for three-way merges and for the digest `qreply status` compares.
//!
//! Conflicts: fields changed on one side only merge; when both sides changed the same
//! field of a reply, the server's version stays and this device's becomes a visible
//! copy titled "…（冲突副本）" next to it. A local delete of an item edited elsewhere
//! yields to the edit; a local edit of an item deleted elsewhere brings it back.
//!
//! Decisions worth knowing: team libraries on the server appear locally under their
//! server name; a local team library of an owner or editor is published when the
//! device syncs; agents' team libraries are read-only locally (a trigger refuses
//! edits). The device token lives in the OS keyring, or in a 0600 file where there is
//! none (see [`secret`]).

mod accounts;
mod batch;
mod error;
mod history;
pub mod http;
mod links;
mod membership;
mod merge;
mod model;
mod refused;
mod reports;
mod round;
mod scan;
pub mod secret;
mod skips;
pub mod stale;
mod status;
mod suggest;
mod tables;
mod watch;

#[cfg(test)]
mod tests;

pub use accounts::{
    account, account_by_id, account_label, accounts, choose_account, client, client_for,
};
pub use error::{Result, SyncError};
pub use history::{history, restore, version_text};
pub use http::{Client, Event, Events, WriteOutcome};
pub use links::{other_teams_libraries, set_library_account};
pub use membership::{
    Departure, Member, Signin, cancel_code, decide_signin, find_member, host_name, invite, join,
    leave, lookup_signin, members, open_codes, remove_member, sign_out, signin,
};
pub use merge::{Merged, merge};
pub use model::{Account, Linked};
pub use refused::{Refused, discard, refused, retry};
pub use reports::{missed, usage};
pub use round::{Report, sync_account, sync_once};
pub use scan::{Scan, ScanStep, identities, link, scan_providers, scan_signin, unlink};
pub use secret::TokenPlace;
pub use skips::{Skipped, skipped};
pub use status::{LibraryStatus, account_status, pending, repair, status, verify};
pub use suggest::{
    LocalSuggestion, SuggestionState, accept, decline, find_suggestion, has_unsent, reply_doc,
    short_id, suggest, suggestions, withdraw,
};
pub use watch::{SAFETY_ROUND, STATUS_DELAY, watch};
