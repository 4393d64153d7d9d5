//! Variables per library (a lead's value, optionally overridable by each agent) and
//! rendering a reply's parts with them.

use std::collections::HashMap;

use chrono::Local;
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
        self.conn.execute(
            "INSERT INTO variables (library_id, name, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (library_id, name) DO UPDATE SET value = excluded.value",
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
            "SELECT name, value, overridable FROM variables WHERE library_id = ?1 ORDER BY name",
        )?;
        let rows = st
            .query_map([library.id.to_string()], |r| {
                Ok(Variable {
                    name: r.get(0)?,
                    value: r.get(1)?,
                    overridable: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Write a variable in one transaction: a rename (`old` differs from the new name)
    /// removes the old one; the overridable flag counts for team libraries only.
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
        tx.execute(
            "INSERT INTO variables (library_id, name, value, overridable) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (library_id, name) DO UPDATE
             SET value = excluded.value, overridable = excluded.overridable
             WHERE value IS NOT excluded.value OR overridable IS NOT excluded.overridable",
            params![lib, var.name, var.value, overridable],
        )?;
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
            tx.execute(
                "INSERT INTO variables (library_id, name, value, overridable) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (library_id, name) DO UPDATE
                 SET value = excluded.value, overridable = excluded.overridable
                 WHERE value IS NOT excluded.value OR overridable IS NOT excluded.overridable",
                params![lib, c.var.name, c.var.value, c.var.overridable && team],
            )
            .map_err(row(i))?;
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

    /// Variables of one library with their descriptions: (name, value, description).
    pub fn variables(&self, library: &Library) -> Result<Vec<(String, String, String)>> {
        let mut st = self.conn.prepare(
            "SELECT name, value, description FROM variables WHERE library_id = ?1 ORDER BY name",
        )?;
        let rows = st
            .query_map([library.id.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Variables of one library, by name.
    pub fn vars(&self, library: &Library) -> Result<Vec<(String, String)>> {
        let mut st = self
            .conn
            .prepare("SELECT name, value FROM variables WHERE library_id = ?1 ORDER BY name")?;
        let rows = st
            .query_map([library.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The values a reply of `library` sees: the library's own variables, then the
    /// personal library's for names the library does not set (e.g. `{客服名}`). A value
    /// the library marks overridable gives way to a personal one of the same name.
    pub fn effective_vars(&self, library_id: Uuid) -> Result<HashMap<String, String>> {
        // Later rows win: overridable library values, then personal ones, then the
        // library's fixed values.
        let mut st = self.conn.prepare(
            "SELECT v.name, v.value FROM variables v JOIN libraries l ON l.id = v.library_id
             WHERE v.library_id = ?1 OR l.kind = 'personal'
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

    // ----- firing ----------------------------------------------------------------------

    /// Render every part of a reply. Prompts must be answered in `prompts`.
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
        let vars = self.effective_vars(library_id)?;
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
        let mut out: Vec<String> = Vec::new();
        for body in parts.iter().filter_map(Part::text) {
            let Ok(segments) = template::parse(body) else {
                continue;
            };
            for seg in segments {
                if let template::Segment::Var(name) = seg
                    && !vars.contains_key(name)
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
