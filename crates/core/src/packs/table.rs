//! Spreadsheet-shaped packs: CSV (this module) with one row per reply and the columns
//! group/分组, title/标题, shortcut/快捷编码, content/内容, tags/标签.
//!
//! Reading detects a header row in Chinese or English (or assumes the column order by
//! count when there is none), accepts UTF-8, UTF-8 with BOM and GB18030/GBK (what Excel
//! on Chinese Windows saves), multi-line cells, and reports every row it cannot use with
//! its line number instead of dropping it. Writing produces UTF-8 with BOM (opens
//! correctly in Excel) and neutralises formula injection.
//!
//! Qianniu (千牛) exports its quick phrases in the same shape, CSV (GBK) or XLSX, with the
//! header `快捷短语编码,快捷短语,快捷短语分组` (code, phrase, group; other versions and
//! Qianniu-compatible tools write `快捷编码` for the code column), codes like `/fh`,
//! phrases over several lines, and `未分组` or nothing for "no group". The phrase is the
//! reply's text, its title comes from the text, the group is the folder (`未分组` is the
//! library's top level) and the code is normalised like every other tool's trigger
//! (`/fh` → `fh`, the original kept as a tag). Layout seen in tools that read these
//! exports: e.g. `QnShortcutImporter.IsFileType` (`快捷短语编码,快捷短语,快捷短语分组`)
//! and the `FastWordImport` / `QuickPhraseController` exporters (`快捷编码,快捷短语,
//! 快捷短语分组`, empty group = `未分组`) on GitHub.

use std::path::Path;

use crate::i18n::tr;
use crate::source::{Origin, Pack, PackFolder, PackMeta, PackPart, PackSnippet};

use super::common::too_large;
pub use super::common::{MAX_CELL_BYTES, MAX_FILE_BYTES, Skipped, decode};
pub use super::error::TableError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Group,
    Title,
    Code,
    Content,
    Tags,
    Extra,
    /// The column that marks our own export ([`EXPORT_MARK`]); always empty.
    Mark,
}

/// The last header cell of our own CSV (and XLSX) export. A CSV with it is one we
/// wrote, so the formula guard's apostrophe is taken off again on import (and only then:
/// in anybody else's file a leading apostrophe is the author's own text).
///
/// The column's cells are empty except for a reply of several text parts: its content
/// cell holds the parts joined by a blank line (as a spreadsheet user reads them), and
/// the mark cell their lengths in characters (`12,30`), so that importing the file
/// gives back the same parts. A content cell edited since, whose lengths no longer
/// fit, is imported as one part.
pub const EXPORT_MARK: &str = "QuickReply-CSV-1";

/// How the parts of a reply are joined in its content cell.
const PART_JOIN: &str = "\n\n";

/// The mark cell of a reply with these text parts: their lengths in characters when
/// there are several, else empty.
fn part_lengths(texts: &[&str]) -> String {
    if texts.len() < 2 {
        return String::new();
    }
    texts
        .iter()
        .map(|t| t.chars().count().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// A content cell split back into the parts [`part_lengths`] describes; `None` when the
/// lengths do not fit the cell exactly (it was edited, or it is not our mark).
fn split_parts(content: &str, lengths: &str) -> Option<Vec<String>> {
    let lengths: Vec<usize> = lengths
        .split(',')
        .map(|n| n.trim().parse().ok())
        .collect::<Option<_>>()?;
    if lengths.len() < 2 {
        return None;
    }
    let chars: Vec<char> = content.chars().collect();
    let mut parts = Vec::with_capacity(lengths.len());
    let mut at: usize = 0;
    for (i, n) in lengths.iter().enumerate() {
        let end = at.checked_add(*n).filter(|e| *e <= chars.len())?;
        let part: String = chars[at..end].iter().collect();
        if part.trim().is_empty() {
            return None;
        }
        parts.push(part);
        at = end;
        if i + 1 < lengths.len() {
            let sep: String = chars.get(at..at + 2)?.iter().collect();
            if sep != PART_JOIN {
                return None;
            }
            at += 2;
        }
    }
    (at == chars.len()).then_some(parts)
}

/// Qianniu's name for "no group".
const NO_GROUP: &str = "未分组";

fn header_kind(cell: &str) -> Option<Col> {
    let c = cell.trim().trim_start_matches('\u{feff}').to_lowercase();
    if c == EXPORT_MARK.to_lowercase() {
        return Some(Col::Mark);
    }
    Some(match c.as_str() {
        "group" | "folder" | "category" | "分组" | "分类" | "文件夹" | "组" | "类别" | "目录"
        | "快捷短语分组" | "短语分组" => Col::Group,
        "title" | "name" | "标题" | "名称" | "主题" => Col::Title,
        "shortcut" | "code" | "abbreviation" | "keyword" | "快捷编码" | "快捷码" | "快捷键"
        | "编码" | "缩写" | "快捷短语编码" | "短语编码" => Col::Code,
        // Qianniu's 快捷短语 is the phrase itself, not its shortcut.
        "content" | "text" | "body" | "reply" | "内容" | "回复" | "话术" | "回复内容"
        | "话术内容" | "正文" | "快捷短语" | "短语" => Col::Content,
        "tags" | "tag" | "标签" | "关键词" => Col::Tags,
        _ => return None,
    })
}

/// Whether a first row is a header: at least two cells (or the content cell) are known
/// column names.
pub fn is_header<S: AsRef<str>>(cells: &[S]) -> bool {
    let kinds: Vec<Option<Col>> = cells.iter().map(|c| header_kind(c.as_ref())).collect();
    kinds.iter().filter(|k| k.is_some()).count() >= 2 || kinds.contains(&Some(Col::Content))
}

/// Read a CSV file into a pack plus the rows it skipped.
pub fn read_csv(bytes: &[u8], path: &Path) -> Result<(Pack, Vec<Skipped>), TableError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(path, bytes.len()));
    }
    let text = decode(bytes, path)?;
    let row_err = |line: u64, message: String| TableError::Row {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .delimiter(delimiter_of(&text))
        .from_reader(text.as_bytes());
    let mut rows: Vec<(u64, csv::StringRecord)> = Vec::new();
    // Where the line breaks are, found once (counting them again for every record made
    // reading a 10k-row file take seconds).
    let breaks: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    for rec in reader.records() {
        // Line numbers from byte offsets: the csv crate's own count is off by one in
        // files with CRLF line ends (what Excel writes).
        let line_at = |byte: u64| {
            let bytes = text.as_bytes();
            let mut end = (byte as usize).min(bytes.len());
            // A record's position may sit before the line end of the previous record.
            while end < bytes.len() && matches!(bytes[end], b'\r' | b'\n') {
                end += 1;
            }
            breaks.partition_point(|&i| i < end) as u64 + 1
        };
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| line_at(p.byte()));
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => tr(
                    format!("这一行有 {len} 列，前面的行有 {expected_len} 列"),
                    format!("this row has {len} columns, earlier rows have {expected_len}"),
                ),
                _ => e.to_string(),
            };
            row_err(line, message)
        })?;
        let line = rec.position().map_or(0, |p| line_at(p.byte()));
        if let Some(big) = rec.iter().position(|c| c.len() > MAX_CELL_BYTES) {
            return Err(row_err(
                line,
                tr(
                    format!("第 {} 列的内容超过 {} KB", big + 1, MAX_CELL_BYTES / 1024),
                    format!(
                        "cell in column {} is larger than {} KB",
                        big + 1,
                        MAX_CELL_BYTES / 1024
                    ),
                ),
            ));
        }
        rows.push((line, rec));
    }
    // Our own export (its header ends with the mark): undo the formula guard.
    let ours = rows
        .first()
        .is_some_and(|(_, header)| header.iter().any(|c| header_kind(c) == Some(Col::Mark)));
    // The cells are borrowed from the records, not copied: at 100 000 rows a String per
    // cell was most of what reading a CSV allocated (and freed again).
    let cells: Vec<(u64, Vec<&str>)> = rows
        .iter()
        .map(|(line, rec)| {
            let cells = rec
                .iter()
                .map(|c| if ours { undefuse(c) } else { c })
                .collect();
            (*line, cells)
        })
        .collect();
    Ok(pack_from_rows(cells, path))
}

/// Turn table rows (line number, cells) into a pack: header detection, column mapping,
/// skipped rows. Shared by CSV and XLSX.
fn pack_from_rows<S: AsRef<str>>(rows: Vec<(u64, Vec<S>)>, path: &Path) -> (Pack, Vec<Skipped>) {
    let mut cols: Vec<Col> = Vec::new();
    let mut start = 0;
    if let Some((_, first)) = rows.first() {
        if is_header(first) {
            cols = first
                .iter()
                .map(|c| header_kind(c.as_ref()).unwrap_or(Col::Extra))
                .collect();
            start = 1;
        } else {
            cols = match first.len() {
                1 => vec![Col::Content],
                2 => vec![Col::Title, Col::Content],
                3 => vec![Col::Group, Col::Title, Col::Content],
                n => {
                    let mut c = vec![Col::Group, Col::Title, Col::Code, Col::Content];
                    c.resize(n, Col::Extra);
                    c
                }
            };
        }
    }
    let headers: Vec<String> = if start == 1 {
        rows[0]
            .1
            .iter()
            .map(|h| h.as_ref().trim().to_string())
            .collect()
    } else {
        Vec::new()
    };
    let mut pack = Pack {
        meta: PackMeta {
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut skipped = Vec::new();
    for (line, rec) in rows.iter().skip(start) {
        let origin = Origin::File {
            path: path.to_path_buf(),
            line: *line as usize,
        };
        let raw = |want: Col| -> &str {
            cols.iter()
                .zip(rec.iter())
                .find(|(c, _)| **c == want)
                .map(|(_, v)| v.as_ref())
                .unwrap_or_default()
        };
        let get = |want: Col| raw(want).trim().to_string();
        // The text as written: leading and trailing spaces and blank lines are the
        // author's (our own export reads back unchanged); only line ends are normalised.
        let content = raw(Col::Content).replace("\r\n", "\n");
        if rec.iter().all(|c| c.as_ref().trim().is_empty()) {
            continue;
        }
        if content.trim().is_empty() {
            skipped.push(Skipped::not_imported(
                origin,
                tr("内容为空", "empty content"),
            ));
            continue;
        }
        // A title is one line; without one, it comes from the text.
        let mut title = get(Col::Title)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if title.is_empty() {
            title = super::interop::title_of(&content);
        }
        let folder = get(Col::Group)
            .split(['/', '>', '＞'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        let folder = if folder == NO_GROUP {
            String::new()
        } else {
            folder
        };
        let keys = super::interop::from_triggers(&[get(Col::Code)]);
        if let Some(reason) = keys.note {
            skipped.push(Skipped::note(origin.clone(), reason));
        }
        let code = keys.code;
        let mut tags: Vec<String> = get(Col::Tags)
            .split([',', '，', ';', '；'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .chain(keys.tags)
            .collect();
        for (i, (c, v)) in cols.iter().zip(rec.iter()).enumerate() {
            let v = v.as_ref();
            if *c == Col::Extra && !v.trim().is_empty() {
                // Extra columns are kept as tags ("列名:值" when there is a header).
                tags.push(match headers.get(i).filter(|h| !h.is_empty()) {
                    Some(h) => format!("{h}:{}", v.trim()),
                    None => v.trim().to_string(),
                });
            }
        }
        if !folder.is_empty() && !pack.folders.iter().any(|f| f.path == folder) {
            pack.folders.push(PackFolder {
                path: folder.clone(),
                origin: origin.clone(),
                starts_at: None,
                ends_at: None,
            });
        }
        // Several parts of our own export (see EXPORT_MARK), else one.
        let bodies = split_parts(&content, raw(Col::Mark)).unwrap_or_else(|| vec![content]);
        pack.snippets.push(PackSnippet {
            folder,
            title,
            code,
            tags,
            apps: Vec::new(),
            parts: bodies
                .into_iter()
                .map(|body| PackPart::Text {
                    body,
                    origin: origin.clone(),
                })
                .collect(),
            origin,
            starts_at: None,
            ends_at: None,
        });
    }
    (pack, skipped)
}

/// Read the first worksheet of an XLSX workbook into a pack plus the rows it skipped.
/// The archive passes the same checks as a `.qrpack` before calamine reads it.
pub fn read_xlsx(bytes: &[u8], path: &Path) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    use calamine::Reader;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(path, bytes.len()).into());
    }
    let not_xlsx = |reason: String| TableError::Row {
        path: path.to_path_buf(),
        line: 0,
        message: reason,
    };
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| not_xlsx(e.to_string()))?;
    super::common::check_archive(&mut zip, path)?;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| not_xlsx(e.to_string()))?;
    let Some(range) = wb.worksheet_range_at(0) else {
        return Err(not_xlsx(tr("工作簿里没有工作表", "the workbook has no worksheet")).into());
    };
    let range = range.map_err(|e| not_xlsx(e.to_string()))?;
    let first_row = range.start().map_or(0, |(r, _)| r);
    let mut rows = Vec::with_capacity(range.height());
    for (i, row) in range.rows().enumerate() {
        let line = u64::from(first_row) + i as u64 + 1;
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                calamine::Data::Empty => String::new(),
                &calamine::Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                    format!("{}", f as i64)
                }
                other => other.to_string(),
            })
            .collect();
        if let Some(big) = cells.iter().position(|c| c.len() > MAX_CELL_BYTES) {
            return Err(TableError::Row {
                path: path.to_path_buf(),
                line,
                message: tr(
                    format!("第 {} 列的内容超过 {} KB", big + 1, MAX_CELL_BYTES / 1024),
                    format!(
                        "cell in column {} is larger than {} KB",
                        big + 1,
                        MAX_CELL_BYTES / 1024
                    ),
                ),
            }
            .into());
        }
        rows.push((line, cells));
    }
    Ok(pack_from_rows(rows, path))
}

/// Write a pack as an XLSX workbook (one sheet, a header row, one row per reply). Cells
/// are written as strings, which spreadsheets never evaluate, so no defusing is needed.
/// Returns how many image parts were left out.
pub fn write_xlsx(pack: &Pack) -> Result<(Vec<u8>, usize), rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(crate::i18n::tr_static("话术", "Replies"))?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let wrap = rust_xlsxwriter::Format::new().set_text_wrap();
    let header = crate::i18n::tr_static(
        "分组,标题,快捷编码,内容,标签",
        "group,title,shortcut,content,tags",
    );
    for (c, h) in header.split(',').chain([EXPORT_MARK]).enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
    }
    ws.set_column_width(0, 14)?;
    ws.set_column_width(1, 18)?;
    ws.set_column_width(3, 60)?;
    let mut images = 0;
    for (i, s) in pack.snippets.iter().enumerate() {
        let row = i as u32 + 1;
        let texts = s.texts();
        images += s.images();
        ws.write_string(row, 0, &s.folder)?;
        ws.write_string(row, 1, &s.title)?;
        ws.write_string(row, 2, s.code.as_deref().unwrap_or(""))?;
        ws.write_string_with_format(row, 3, texts.join(PART_JOIN), &wrap)?;
        ws.write_string(row, 4, s.tags.join(","))?;
        ws.write_string(row, 5, part_lengths(&texts))?;
    }
    Ok((wb.save_to_buffer()?, images))
}

/// What a spreadsheet may take for the start of a formula: `=`, `+`, `-`, `@`, a tab or
/// a carriage return, and the full-width `＝` (WPS and Excel with a Chinese input method
/// turn it into a formula too).
const FORMULA_START: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '＝'];

/// Whether a cell gets the guard: it starts like a formula, or it is apostrophes before
/// one (so that a text that itself starts with `'=` reads back as it was).
fn needs_guard(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_START)
}

/// A cell that a spreadsheet would run as a formula gets a leading apostrophe.
pub fn defuse(cell: &str) -> String {
    if needs_guard(cell) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// The cell as it was before [`defuse`]: reading our own export back gives the same
/// replies, so importing it again changes nothing.
pub fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => cell,
    }
}

/// The field separator of a CSV text: `;` when its first line has more semicolons than
/// commas outside quotes (what Excel writes where the decimal mark is a comma), else `,`.
fn delimiter_of(text: &str) -> u8 {
    let mut quoted = false;
    let (mut commas, mut semicolons) = (0, 0);
    for c in text.trim_start_matches('\u{feff}').chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// Write a pack as CSV (UTF-8 with BOM). Returns how many image parts were left out
/// (CSV cannot carry images).
pub fn write_csv(pack: &Pack, out: &mut impl std::io::Write) -> std::io::Result<usize> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::WriterBuilder::new().from_writer(out);
    let header = crate::i18n::tr_static(
        "分组,标题,快捷编码,内容,标签",
        "group,title,shortcut,content,tags",
    );
    w.write_record(header.split(',').chain([EXPORT_MARK]))?;
    let mut images = 0;
    for s in &pack.snippets {
        let texts = s.texts();
        images += s.images();
        w.write_record([
            defuse(&s.folder),
            defuse(&s.title),
            defuse(s.code.as_deref().unwrap_or("")),
            defuse(&texts.join(PART_JOIN)),
            defuse(&s.tags.join(",")),
            part_lengths(&texts),
        ])?;
    }
    w.flush()?;
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(p: &Pack) -> Vec<(String, String, Option<String>, String)> {
        p.snippets
            .iter()
            .map(|s| {
                let body = match &s.parts[0] {
                    PackPart::Text { body, .. } => body.clone(),
                    PackPart::Image { .. } => String::new(),
                };
                (s.folder.clone(), s.title.clone(), s.code.clone(), body)
            })
            .collect()
    }

    #[test]
    fn chinese_header_multiline_cells_and_extra_columns() {
        let csv = "分组,标题,快捷编码,内容,备注\n物流,发货时间,FH,\"亲，48小时内发货\n请放心\",常用\n售后,,,退货请在订单页申请,\n";
        let (p, skipped) = read_csv(csv.as_bytes(), Path::new("a.csv")).expect("read");
        assert!(skipped.is_empty());
        assert_eq!(
            titles(&p),
            vec![
                (
                    "物流".into(),
                    "发货时间".into(),
                    Some("fh".into()),
                    "亲，48小时内发货\n请放心".into()
                ),
                (
                    "售后".into(),
                    "退货请在订单页申请".into(),
                    None,
                    "退货请在订单页申请".into()
                ),
            ]
        );
        assert_eq!(p.snippets[0].tags, vec!["备注:常用"]);
    }

    #[test]
    fn english_header_in_any_order_and_no_header() {
        let csv = "content,title,group\nhello there,Greeting,Open\n";
        let (p, _) = read_csv(csv.as_bytes(), Path::new("b.csv")).expect("read");
        assert_eq!(
            titles(&p),
            vec![("Open".into(), "Greeting".into(), None, "hello there".into())]
        );
        let csv = "物流,发货时间,48小时内发货\n";
        let (p, _) = read_csv(csv.as_bytes(), Path::new("c.csv")).expect("read");
        assert_eq!(
            titles(&p),
            vec![(
                "物流".into(),
                "发货时间".into(),
                None,
                "48小时内发货".into()
            )]
        );
    }

    #[test]
    fn bom_and_gb18030_input() {
        let text = "标题,内容\n发货,亲，已发货\n";
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        for bytes in [bom, gbk.into_owned()] {
            let (p, _) = read_csv(&bytes, Path::new("d.csv")).expect("read");
            assert_eq!(
                titles(&p),
                vec![("".into(), "发货".into(), None, "亲，已发货".into())]
            );
        }
        assert!(matches!(
            read_csv(b"\xff\xfe\xfa\x00\x81", Path::new("e.csv")),
            Err(TableError::Encoding { .. })
        ));
    }

    #[test]
    fn ragged_rows_huge_cells_and_empty_content_are_reported_with_lines() {
        let e = read_csv("标题,内容\na,b\nc,d,e\n".as_bytes(), Path::new("f.csv"))
            .err()
            .map(|e| e.to_string());
        assert!(e.as_deref().is_some_and(|m| m.contains("f.csv:3")), "{e:?}");
        let big = format!("标题,内容\na,{}\n", "x".repeat(MAX_CELL_BYTES + 1));
        let e = read_csv(big.as_bytes(), Path::new("g.csv"))
            .err()
            .map(|e| e.to_string());
        assert!(e.as_deref().is_some_and(|m| m.contains("g.csv:2")), "{e:?}");
        let (p, skipped) =
            read_csv("标题,内容\na,\nb,ok\n".as_bytes(), Path::new("h.csv")).expect("read");
        assert_eq!(p.snippets.len(), 1);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].origin.to_string(), "h.csv:2");
    }

    #[test]
    fn xlsx_round_trips_with_multiline_cells() {
        let csv = "分组,标题,快捷编码,内容,标签\n物流,=SUM(A1),fh,\"第一行\n第二行\",\"a,b\"\n售后,退货,th,12345,\n";
        let (p, _) = read_csv(csv.as_bytes(), Path::new("x.csv")).expect("read");
        let (bytes, images) = write_xlsx(&p).expect("write xlsx");
        assert_eq!(images, 0);
        let (back, skipped) = read_xlsx(&bytes, Path::new("x.xlsx")).expect("read xlsx");
        assert!(skipped.is_empty());
        assert_eq!(titles(&back), titles(&p));
        assert_eq!(back.snippets[0].tags, vec!["a", "b"]);
        assert!(read_xlsx(b"PK\x03\x04 nope", Path::new("y.xlsx")).is_err());
    }

    #[test]
    fn export_defuses_formulas_and_round_trips() {
        let csv = "分组,标题,快捷编码,内容,标签\n物流,=SUM(A1),fh,\"+86 电话\n第二行\",\"a,b\"\n";
        let (p, _) = read_csv(csv.as_bytes(), Path::new("i.csv")).expect("read");
        let mut out = Vec::new();
        assert_eq!(write_csv(&p, &mut out).expect("write"), 0);
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.starts_with('\u{feff}'));
        assert!(
            text.contains("'=SUM(A1)") && text.contains("\"'+86 电话\n第二行\""),
            "{text}"
        );
        let (back, _) = read_csv(text.as_bytes(), Path::new("j.csv")).expect("read back");
        assert_eq!(back.snippets[0].tags, vec!["a", "b"]);
        assert_eq!(back.snippets[0].code.as_deref(), Some("fh"));
        // Our own export reads back as the same replies (issue #17: importing it again
        // must change nothing, so the guard's apostrophe is not part of the text).
        assert_eq!(titles(&back), titles(&p));
        assert_eq!(back.snippets[0].texts(), p.snippets[0].texts());
        assert_eq!(back.snippets[0].title, "=SUM(A1)");
    }

    #[test]
    fn full_width_equals_is_defused_and_semicolon_csv_is_read() {
        assert_eq!(defuse("＝HYPERLINK(\"x\")"), "'＝HYPERLINK(\"x\")");
        assert_eq!(undefuse("'＝1+1"), "＝1+1");
        // An apostrophe before ordinary text is the text's own.
        assert_eq!(undefuse("'亲"), "'亲");
        // A text that itself starts with an apostrophe and a formula sign reads back too.
        assert_eq!(defuse("'@all"), "''@all");
        assert_eq!(undefuse(&defuse("'@all")), "'@all");
        // Excel where the decimal mark is a comma separates with `;`.
        let csv = "\u{feff}分组;标题;快捷编码;内容;标签\r\n物流;发货时间;fh;\"亲，48小时内发货; 急单可加急\";快递\r\n";
        let (p, skipped) = read_csv(csv.as_bytes(), Path::new("eu.csv")).expect("read");
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(p.snippets.len(), 1);
        assert_eq!(p.snippets[0].title, "发货时间");
        assert_eq!(p.snippets[0].code.as_deref(), Some("fh"));
        assert_eq!(p.snippets[0].texts(), vec!["亲，48小时内发货; 急单可加急"]);
        assert_eq!(p.snippets[0].tags, vec!["快递"]);
        // A comma-separated file whose text holds semicolons stays comma-separated.
        let csv = "标题,内容\n发货,\"今天发; 明天到\"\n";
        let (p, _) = read_csv(csv.as_bytes(), Path::new("cn.csv")).expect("read");
        assert_eq!(p.snippets[0].texts(), vec!["今天发; 明天到"]);
    }
    #[test]
    fn parts_come_back_from_the_mark_column_and_an_edited_cell_is_one_part() {
        let texts = ["亲，在的\n\n有什么可以帮您", "-5元券今天可用  "];
        let lengths = part_lengths(&texts);
        assert_eq!(lengths, "13,10");
        let cell = texts.join(PART_JOIN);
        assert_eq!(
            split_parts(&cell, &lengths),
            Some(texts.iter().map(|t| t.to_string()).collect())
        );
        assert_eq!(part_lengths(&["一段"]), "");
        // Edited in a spreadsheet since: the lengths no longer fit.
        assert_eq!(split_parts(&format!("{cell}！"), &lengths), None);
        assert_eq!(split_parts(&cell.replace("\n\n-", "\n-"), &lengths), None);
        assert_eq!(split_parts(&cell, "13"), None);
        assert_eq!(split_parts(&cell, "x,y"), None);
        assert_eq!(split_parts(&cell, "999999999999999999999,1"), None);
        // Read back from a file: two parts; without the mark column, one.
        let mut out = Vec::new();
        let pack = Pack {
            snippets: vec![PackSnippet {
                folder: String::new(),
                title: "两段".into(),
                code: None,
                tags: Vec::new(),
                apps: Vec::new(),
                parts: texts
                    .iter()
                    .map(|t| PackPart::Text {
                        body: t.to_string(),
                        origin: Origin::Library { place: "x".into() },
                    })
                    .collect(),
                origin: Origin::Library { place: "x".into() },
                starts_at: None,
                ends_at: None,
            }],
            ..Pack::default()
        };
        write_csv(&pack, &mut out).expect("write");
        let (back, _) = read_csv(&out, Path::new("x.csv")).expect("read");
        assert_eq!(back.snippets[0].texts(), texts);
        let text = String::from_utf8(out).expect("utf8");
        let foreign = text
            .replace(&format!(",{EXPORT_MARK}"), "")
            .replace(",\"13,10\"", "");
        let (back, _) = read_csv(foreign.as_bytes(), Path::new("x.csv")).expect("read");
        assert_eq!(back.snippets[0].texts().len(), 1);
    }

    #[test]
    fn our_export_reads_back_unchanged_and_only_it_loses_the_guard() {
        // Issue #18 item 10: a body starting with `-`, with leading spaces, trailing
        // spaces and blank lines comes back exactly as it was.
        let body = "-5元优惠券今天可用  \n\n  第二段前面有空格\n\n";
        let csv = format!("标题,内容\n优惠,\"{}\"\n", body.replace('"', "\"\""));
        let (p, _) = read_csv(csv.as_bytes(), Path::new("k.csv")).expect("read");
        assert_eq!(p.snippets[0].texts(), vec![body]);
        let mut out = Vec::new();
        write_csv(&p, &mut out).expect("write");
        let text = String::from_utf8(out).expect("utf8");
        let header = text.lines().next().unwrap_or_default();
        assert!(header.ends_with(EXPORT_MARK), "{header}");
        assert!(text.contains("\"'-5元"), "the guard is written: {text}");
        let (back, skipped) = read_csv(text.as_bytes(), Path::new("k2.csv")).expect("read");
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(back.snippets[0].texts(), vec![body]);
        assert_eq!(back.snippets[0].tags, Vec::<String>::new());
        // Anybody else's file: a leading apostrophe is the author's own text.
        let csv = "标题,内容\n报价,'-5元\n公式,'=1+1\n";
        let (p, _) = read_csv(csv.as_bytes(), Path::new("l.csv")).expect("read");
        assert_eq!(p.snippets[0].texts(), vec!["'-5元"]);
        assert_eq!(p.snippets[1].texts(), vec!["'=1+1"]);
    }

    #[test]
    fn qianniu_header_maps_the_phrase_to_the_text() {
        let csv = "快捷短语编码,快捷短语,快捷短语分组\n/FH,\"亲，今天发货\n明天到\",物流\nＴＨ２,退货请点申请售后,未分组\n";
        let (p, skipped) = read_csv(csv.as_bytes(), Path::new("qn.csv")).expect("read");
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(
            titles(&p),
            vec![
                (
                    "物流".into(),
                    "亲，今天发货".into(),
                    Some("fh".into()),
                    "亲，今天发货\n明天到".into()
                ),
                (
                    "".into(),
                    "退货请点申请售后".into(),
                    Some("th2".into()),
                    "退货请点申请售后".into()
                ),
            ]
        );
        assert_eq!(p.snippets[0].tags, vec!["/FH"]);
        assert_eq!(p.snippets[1].tags, vec!["ＴＨ２"]);
        assert_eq!(p.folders.len(), 1);
    }
}
