//! Variables per library (a lead's value, optionally overridable by each agent) and
//! rendering a reply's parts with them.
//!
//! **Unset variables.** A variable may exist with only an *example* for a value
//! (`variables.example = 1`; a built-in pack's `example = "中通快递"`): it is declared,
//! so replies may use it and saving one warns of nothing, but it has no value yet.
//! [`Store::effective_vars`] skips such rows, so a real value elsewhere (a personal
//! one under an unset team row, or the team's under an unset personal row) is used;
//! when none exists the name is in [`Store::unset_vars`] and rendering refuses with
//! [`Error::UnsetVariables`] unless the caller gives a value for it in the same map as
//! the `{?prompt}` answers (the panel asks for it inline, like a prompt, and may keep
//! the answer with [`Store::set_var`]). The example is never sent; it is a hint in the
//! question and the setup screen. Setting a value (CLI, editor, setup) clears the flag.

use std::collections::HashMap;

use chrono::Local;
use quickreply_proto::compliance::{POLICY_VAR, Policy};
use rusqlite::params;
use uuid::Uuid;

use quickreply_proto::{LibraryKind, Part};

use super::{Library, Rendered, SaveVariablesError, Snippet, Store, Variable, VariableChange};
use crate::error::{Error, Result};
use crate::template::{self, RenderContext, TemplateError};

impl Store {
    pub fn set_var(&mut self, library: &Library, name: &str, value: &str) -> Result<()> {
        if !template::is_valid_var_name(name) {
            return Err(Error::InvalidVariableName(name.to_string()));
        }
        check_policy(name, value)?;
        self.conn.execute(
            "INSERT INTO variables (library_id, name, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (library_id, name) DO UPDATE SET value = excluded.value, example = 0",
            params![library.id.to_string(), name, value],
        )?;
        Ok(())
    }

    /// Let agents replace this library's value of `name` with their personal one (or not).
    /// Returns whether the variable exists.
    pub fn set_var_overridable(
        &mut self,
        library: &Library,
        name: &str,
        overridable: bool,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE variables SET overridable = ?3 WHERE library_id = ?1 AND name = ?2",
            params![library.id.to_string(), name, overridable],
        )?;
        Ok(n > 0)
    }

    /// Names of this library's variables that agents may override.
    pub fn overridable_vars(&self, library: &Library) -> Result<std::collections::HashSet<String>> {
        let mut st = self
            .conn
            .prepare("SELECT name FROM variables WHERE library_id = ?1 AND overridable")?;
        let names = st
            .query_map([library.id.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(names)
    }

    /// One library's variables with whether agents may override each (the editor's list).
    pub fn variable_list(&self, library: &Library) -> Result<Vec<Variable>> {
        let mut st = self.conn.prepare(
            "SELECT name, value, overridable, example FROM variables WHERE library_id = ?1
             ORDER BY name",
        )?;
        let rows = st
            .query_map([library.id.to_string()], |r| {
                Ok(Variable {
                    name: r.get(0)?,
                    value: r.get(1)?,
                    overridable: r.get(2)?,
                    example: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Write a variable in one transaction: a rename (`old` differs from the new name)
    /// removes the old one; the overridable flag counts for team libraries only.
    /// `var.example` keeps the value as an example only (the variable stays unset).
    pub fn save_variable(
        &mut self,
        library: &Library,
        old: Option<&str>,
        var: &Variable,
    ) -> Result<()> {
        if !template::is_valid_var_name(&var.name) {
            return Err(Error::InvalidVariableName(var.name.clone()));
        }
        let overridable = var.overridable && library.kind == LibraryKind::Team;
        let lib = library.id.to_string();
        let tx = self.conn.transaction()?;
        if let Some(old) = old.filter(|o| *o != var.name) {
            tx.execute(
                "DELETE FROM variables WHERE library_id = ?1 AND name = ?2",
                params![lib, old],
            )?;
        }
        upsert_variable(&tx, &lib, var, overridable)?;
        tx.commit()?;
        Ok(())
    }

    /// Save several variables of one library at once (the editor's one 保存 for every
    /// changed row), in one transaction: all of them or none. Every row is checked first
    /// (a valid name, no two rows with one name, no new or renamed row taking the name of
    /// a variable the library keeps), and every wrong row is reported with its index in
    /// `changes`; a row the store then refuses (a read-only team library) is reported the
    /// same way. Renames may swap names (`a`→`b` and `b`→`a`): the old names go first.
    pub fn save_variables(
        &mut self,
        library: &Library,
        changes: &[VariableChange],
    ) -> std::result::Result<(), SaveVariablesError> {
        let existing: std::collections::HashSet<String> = self
            .variable_list(library)?
            .into_iter()
            .map(|v| v.name)
            .collect();
        // Names this batch frees: renamed rows' old names.
        let freed: std::collections::HashSet<&str> = changes
            .iter()
            .filter_map(|c| c.old.as_deref().filter(|o| *o != c.var.name))
            .collect();
        let mut problems = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, c) in changes.iter().enumerate() {
            let name = c.var.name.as_str();
            if !template::is_valid_var_name(name) {
                problems.push((i, Error::InvalidVariableName(name.to_string())));
            } else if let Err(e) = check_policy(name, &c.var.value) {
                problems.push((i, e));
            } else if seen.insert(name, i).is_some() {
                problems.push((i, Error::VariableTwice(name.to_string())));
            } else if c.old.as_deref() != Some(name)
                && existing.contains(name)
                && !freed.contains(name)
            {
                problems.push((i, Error::VariableExists(name.to_string())));
            }
        }
        if !problems.is_empty() {
            return Err(SaveVariablesError::Rows(problems));
        }
        let team = library.kind == LibraryKind::Team;
        let lib = library.id.to_string();
        let tx = self.conn.transaction().map_err(Error::from)?;
        let row =
            |i: usize| move |e: rusqlite::Error| SaveVariablesError::Rows(vec![(i, e.into())]);
        for (i, c) in changes.iter().enumerate() {
            if let Some(old) = c.old.as_deref().filter(|o| *o != c.var.name) {
                tx.execute(
                    "DELETE FROM variables WHERE library_id = ?1 AND name = ?2",
                    params![lib, old],
                )
                .map_err(row(i))?;
            }
        }
        for (i, c) in changes.iter().enumerate() {
            upsert_variable(&tx, &lib, &c.var, c.var.overridable && team).map_err(row(i))?;
        }
        tx.commit().map_err(Error::from)?;
        Ok(())
    }

    /// Whether this computer may change the library (false for a team library that this
    /// member only reads: an agent's copy of the lead's library).
    pub fn writable(&self, library: &Library) -> Result<bool> {
        let ro: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = ?1 AND writable = 0)",
            [library.id.to_string()],
            |r| r.get(0),
        )?;
        Ok(!ro)
    }

    /// Returns whether it existed.
    pub fn unset_var(&mut self, library: &Library, name: &str) -> Result<bool> {
        let n = self.conn.execute(
            "DELETE FROM variables WHERE library_id = ?1 AND name = ?2",
            params![library.id.to_string(), name],
        )?;
        Ok(n > 0)
    }

    /// Variables of one library with their descriptions: (name, value, description,
    /// whether the value is only an example).
    pub fn variables(&self, library: &Library) -> Result<Vec<(String, String, String, bool)>> {
        let mut st = self.conn.prepare(
            "SELECT name, value, description, example FROM variables WHERE library_id = ?1
             ORDER BY name",
        )?;
        let rows = st
            .query_map([library.id.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Variables of one library that have a value, by name (unset ones, whose value is
    /// only an example, are left out: see [`Store::variable_list`]).
    pub fn vars(&self, library: &Library) -> Result<Vec<(String, String)>> {
        let mut st = self.conn.prepare(
            "SELECT name, value FROM variables WHERE library_id = ?1 AND NOT example ORDER BY name",
        )?;
        let rows = st
            .query_map([library.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The values a reply of `library` sees: the library's own variables, then the
    /// personal library's for names the library does not set (e.g. `{客服名}`). A value
    /// the library marks overridable gives way to a personal one of the same name.
    /// Unset variables (only an example) are no values and are skipped: see
    /// [`Store::unset_vars`].
    pub fn effective_vars(&self, library_id: Uuid) -> Result<HashMap<String, String>> {
        // Later rows win: overridable library values, then personal ones, then the
        // library's fixed values.
        let mut st = self.conn.prepare(
            "SELECT v.name, v.value FROM variables v JOIN libraries l ON l.id = v.library_id
             WHERE (v.library_id = ?1 OR l.kind = 'personal') AND NOT v.example
             ORDER BY CASE WHEN v.library_id = ?1 AND NOT v.overridable THEN 2
                           WHEN l.kind = 'personal' THEN 1 ELSE 0 END",
        )?;
        let mut map = HashMap::new();
        for row in st.query_map([library_id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })? {
            let (k, v) = row?;
            map.insert(k, v);
        }
        Ok(map)
    }

    /// The variables a reply of `library_id` could use but that have no value yet:
    /// declared (in the library or the personal library) with only an example, and
    /// valued nowhere [`Store::effective_vars`] looks. Name → the example (the
    /// library's own when both have one), a hint for whoever fills it in.
    pub fn unset_vars(&self, library_id: Uuid) -> Result<HashMap<String, String>> {
        let set = self.effective_vars(library_id)?;
        let mut st = self.conn.prepare(
            "SELECT v.name, v.value FROM variables v JOIN libraries l ON l.id = v.library_id
             WHERE (v.library_id = ?1 OR l.kind = 'personal') AND v.example
             ORDER BY CASE WHEN v.library_id = ?1 THEN 1 ELSE 0 END",
        )?;
        let mut map = HashMap::new();
        for row in st.query_map([library_id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })? {
            let (k, v) = row?;
            if !set.contains_key(&k) {
                map.insert(k, v);
            }
        }
        Ok(map)
    }

    /// The unset variables `parts` use (see [`Store::unset_vars`]), each once in order
    /// of first use with its example: what firing them must ask for first.
    pub fn unset_used(&self, library_id: Uuid, parts: &[Part]) -> Result<Vec<(String, String)>> {
        let unset = self.unset_vars(library_id)?;
        if unset.is_empty() {
            return Ok(Vec::new());
        }
        Ok(unset_in(parts, &unset))
    }

    // ----- firing ----------------------------------------------------------------------

    /// Render every part of a reply. Prompts must be answered in `prompts`, and so must
    /// the unset variables it uses (by name, in the same map): without an answer the
    /// render fails with [`Error::UnsetVariables`] naming every one, never sending an
    /// example.
    pub fn render(
        &self,
        snippet: &Snippet,
        prompts: &HashMap<String, String>,
        clipboard: Option<&dyn Fn() -> Option<String>>,
    ) -> Result<Vec<Rendered>> {
        self.render_parts(snippet.library_id, &snippet.parts, prompts, clipboard)
    }

    /// Render parts as a reply of `library_id` would be (the editor's live preview of
    /// unsaved parts uses this).
    pub fn render_parts(
        &self,
        library_id: Uuid,
        parts: &[Part],
        prompts: &HashMap<String, String>,
        clipboard: Option<&dyn Fn() -> Option<String>>,
    ) -> Result<Vec<Rendered>> {
        self.render_with(library_id, parts, prompts, clipboard, Unset::Refuse)
    }

    /// Render for a preview: an unset variable without an answer shows as `【name】`
    /// (the panel marks it), never as its example, and never fails the preview.
    pub fn render_preview(
        &self,
        library_id: Uuid,
        parts: &[Part],
        prompts: &HashMap<String, String>,
        clipboard: Option<&dyn Fn() -> Option<String>>,
    ) -> Result<Vec<Rendered>> {
        self.render_with(library_id, parts, prompts, clipboard, Unset::Mark)
    }

    fn render_with(
        &self,
        library_id: Uuid,
        parts: &[Part],
        prompts: &HashMap<String, String>,
        clipboard: Option<&dyn Fn() -> Option<String>>,
        unset: Unset,
    ) -> Result<Vec<Rendered>> {
        let mut vars = self.effective_vars(library_id)?;
        let missing = self.unset_vars(library_id)?;
        if !missing.is_empty() {
            let mut unanswered = Vec::new();
            for (name, _) in unset_in(parts, &missing) {
                match prompts.get(&name).filter(|v| !v.trim().is_empty()) {
                    Some(answer) => {
                        vars.insert(name, answer.clone());
                    }
                    None if unset == Unset::Mark => {
                        vars.insert(name.clone(), format!("【{name}】"));
                    }
                    None => unanswered.push(name),
                }
            }
            if !unanswered.is_empty() {
                return Err(Error::UnsetVariables(unanswered));
            }
        }
        let ctx = RenderContext {
            vars: &vars,
            prompts,
            now: Local::now(),
            clipboard,
        };
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            out.push(match p {
                Part::Text { body } => Rendered::Text(template::render(body, &ctx)?),
                Part::Image {
                    sha256,
                    mime,
                    width,
                    height,
                } => {
                    if !self.blobs.verify(sha256) {
                        return Err(Error::BadImage {
                            path: self.blobs.path_of(sha256),
                            reason: crate::i18n::tr(
                                "图片文件缺失或已损坏",
                                "the image file is missing or damaged",
                            ),
                        });
                    }
                    Rendered::Image {
                        path: self.blobs.path_of(sha256),
                        mime: mime.clone(),
                        width: *width,
                        height: *height,
                    }
                }
            });
        }
        Ok(out)
    }

    /// The variables `parts` use that a reply of `library_id` could not fill in: neither
    /// set (in the library or, for names it does not set, the personal library) nor a
    /// built-in. Each name once, in order of first use. Such a reply can be saved, but
    /// firing it fails until the variable is set: the editor warns when it is saved.
    /// Text that does not parse as a template is left to the save's own check.
    pub fn unknown_variables(&self, library_id: Uuid, parts: &[Part]) -> Result<Vec<String>> {
        let vars = self.effective_vars(library_id)?;
        let unset = self.unset_vars(library_id)?;
        let mut out: Vec<String> = Vec::new();
        for body in parts.iter().filter_map(Part::text) {
            let Ok(segments) = template::parse(body) else {
                continue;
            };
            for seg in segments {
                if let template::Segment::Var(name) = seg
                    && !vars.contains_key(name)
                    && !unset.contains_key(name)
                    && template::parse_builtin(name).is_none()
                    && !template::is_bad_date_format(name)
                    && !out.iter().any(|n| n == name)
                {
                    out.push(name.to_string());
                }
            }
        }
        Ok(out)
    }

    /// The prompts a reply asks for, in order.
    pub fn prompts_of(snippet: &Snippet) -> Result<Vec<String>, TemplateError> {
        let mut names: Vec<String> = Vec::new();
        for body in snippet.parts.iter().filter_map(Part::text) {
            for p in template::prompts(body)? {
                if !names.contains(&p) {
                    names.push(p);
                }
            }
        }
        Ok(names)
    }
}

/// What a render does with an unset variable nobody answered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unset {
    Refuse,
    Mark,
}

/// The names of `unset` that `parts` use as variables, once each in order, with their
/// examples. Text that does not parse is left to the render's own error.
fn unset_in(parts: &[Part], unset: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for body in parts.iter().filter_map(Part::text) {
        let Ok(segments) = template::parse(body) else {
            continue;
        };
        for seg in segments {
            if let template::Segment::Var(name) = seg
                && let Some(example) = unset.get(name)
                && !out.iter().any(|(n, _)| n == name)
            {
                out.push((name.to_string(), example.clone()));
            }
        }
    }
    out
}

/// Write one variable of the library `lib`, leaving a row that is already so untouched
/// (no change for the sync to send).
/// The team's compliance settings ([`POLICY_VAR`]) are stored only in a form every client
/// and the server can read (the server refuses others; a hand edit in the variables table
/// or `qreply vars set` must not store what would then fail to sync).
fn check_policy(name: &str, value: &str) -> Result<()> {
    if name == POLICY_VAR {
        Policy::parse(value).map_err(Error::InvalidPolicy)?;
    }
    Ok(())
}

fn upsert_variable(
    tx: &rusqlite::Transaction<'_>,
    lib: &str,
    var: &Variable,
    overridable: bool,
) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO variables (library_id, name, value, overridable, example)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (library_id, name) DO UPDATE
         SET value = excluded.value, overridable = excluded.overridable,
             example = excluded.example
         WHERE value IS NOT excluded.value OR overridable IS NOT excluded.overridable
            OR example IS NOT excluded.example",
        params![lib, var.name, var.value, overridable, var.example],
    )
}
