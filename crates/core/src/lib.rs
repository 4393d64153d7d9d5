//! QuickReply's logic without a GUI or a network: the data model, the local store, search,
//! variable templates, lint and packs. The CLI, the desktop shell and the sync client
//! (`quickreply-sync`, which holds the HTTP client and the OS keyring) are layers over
//! this crate.

pub mod blob;
pub mod builtin;
pub mod compliance;
pub mod conflicts;
pub mod corpus;
pub mod error;
pub mod eval;
pub mod fire;
pub mod i18n;
pub mod lint;
pub mod missed;
pub mod packs;
pub mod search;
pub mod settings;
pub mod source;
pub mod store;
pub mod template;

pub use error::{Error, Result};
pub use quickreply_proto as proto;
pub use search::SearchIndex;
pub use store::{Library, NewSnippet, Rendered, SearchOptions, Snippet, SnippetEdit, Store};
