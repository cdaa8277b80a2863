//! Collects readings as a file is read and hands them back as a [`Series`]:
//! sorted by start, duplicates resolved, overlaps refused.
//!
//! Duplicate rows for the same interval are common when exports are cut by
//! period and concatenated. Identical rows are kept once; when they differ,
//! the row further down the file wins, as the holders append corrections.
//! Intervals that overlap without being the same interval mean the file mixes
//! steps or is corrupt, and are an error naming the later row.

use jiff::Timestamp;

use crate::model::{ImportError, Quantity, Reading, Series};

use super::time::ts;

/// Where a reading came from, for error messages.
pub(crate) type Locate<'a> = &'a dyn Fn(usize, String) -> ImportError;

#[derive(Debug, Clone, Copy)]
struct Item {
    start: i64,
    end: i64,
    value: Option<i64>,
    estimated: bool,
    /// The line (CSV, NDJSON, spreadsheet row) or item position (JSON).
    pos: usize,
}

/// A series under construction.
pub(crate) struct Builder {
    quantity: Quantity,
    items: Vec<Item>,
}

impl Builder {
    pub(crate) fn new(quantity: Quantity) -> Builder {
        Builder {
            quantity,
            items: Vec::new(),
        }
    }

    pub(crate) fn with_capacity(quantity: Quantity, n: usize) -> Builder {
        Builder {
            quantity,
            items: Vec::with_capacity(n),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds the reading of `[start, end)` (UTC seconds) found at `pos`.
    pub(crate) fn push(
        &mut self,
        start: i64,
        end: i64,
        value: Option<i64>,
        estimated: bool,
        pos: usize,
        locate: Locate<'_>,
    ) -> Result<(), ImportError> {
        if end <= start {
            return Err(locate(pos, "the interval ends before it starts".into()));
        }
        // Whole seconds strictly inside jiff's range convert without fail.
        let range = Timestamp::MIN.as_second() + 1..Timestamp::MAX.as_second();
        if !range.contains(&start) || !range.contains(&end) {
            return Err(locate(pos, "the date is out of range".into()));
        }
        self.items.push(Item {
            start,
            end,
            value,
            estimated,
            pos,
        });
        Ok(())
    }

    /// The finished series: sorted, deduplicated, checked for overlaps.
    pub(crate) fn finish(mut self, locate: Locate<'_>) -> Result<Series, ImportError> {
        // Items arrive in file order; a stable sort keeps that order among
        // equal starts, so "later in the file" is "later in the vector".
        if !self.items.is_sorted_by_key(|i| i.start) {
            self.items.sort_by_key(|i| i.start);
        }
        let mut out: Vec<Item> = Vec::with_capacity(self.items.len());
        for item in self.items {
            if let Some(prev) = out.last_mut()
                && item.start < prev.end
            {
                if item.start == prev.start && item.end == prev.end {
                    if item.pos > prev.pos {
                        *prev = item;
                    }
                    continue;
                }
                let (later, earlier) = if item.pos > prev.pos {
                    (item.pos, prev.pos)
                } else {
                    (prev.pos, item.pos)
                };
                return Err(locate(
                    later,
                    format!(
                        "this interval ({} to {}) overlaps the one read at {} ({} to {}) without being the same interval",
                        show(item.start),
                        show(item.end),
                        locate(earlier, String::new())
                            .to_string()
                            .trim_end_matches(": "),
                        show(prev.start),
                        show(prev.end)
                    ),
                ));
            }
            out.push(item);
        }
        let mut readings = Vec::with_capacity(out.len());
        for item in out {
            let (Some(start), Some(end)) = (ts(item.start), ts(item.end)) else {
                return Err(locate(item.pos, "the date is out of range".into()));
            };
            readings.push(Reading {
                start,
                end,
                value: item.value,
                estimated: item.estimated,
            });
        }
        Ok(Series {
            quantity: self.quantity,
            readings,
        })
    }
}

fn show(t: i64) -> String {
    ts(t)
        .map(|t| t.to_string())
        .unwrap_or_else(|| t.to_string())
}

/// Locates by file line.
pub(crate) fn by_line(line: usize, message: String) -> ImportError {
    ImportError::at(line, message)
}
