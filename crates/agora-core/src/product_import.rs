//! A catalog import a seller runs from the seller centre or the API: the steps it goes through.

use std::fmt;
use std::str::FromStr;

use crate::account::string_enum;

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportStatus {
    /// The file is stored; the seller chooses how its columns are read.
    Uploaded,
    /// Started: a job will run it.
    Queued,
    /// A node's worker is writing its rows.
    Running,
    /// Every row was read: the report says which were written and which failed, by line.
    Done,
    /// It could not run at all (the shop stopped being approved, say): nothing was written.
    Failed,
}

string_enum!(ImportStatus {
    Uploaded = "uploaded",
    Queued = "queued",
    Running = "running",
    Done = "done",
    Failed = "failed",
});

impl ImportStatus {
    /// Whether it has ended (a status page stops watching it).
    pub fn is_finished(self) -> bool {
        matches!(self, ImportStatus::Done | ImportStatus::Failed)
    }

    /// Whether its job is waiting or running.
    pub fn is_underway(self) -> bool {
        matches!(self, ImportStatus::Queued | ImportStatus::Running)
    }

    /// How far it got, in whole percent, from the rows done and the rows there are.
    pub fn percent(done: i64, total: i64) -> i64 {
        if total <= 0 {
            0
        } else {
            (done.clamp(0, total) * 100) / total
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_and_percent_stays_in_range() {
        for s in ImportStatus::ALL {
            assert_eq!(s.as_str().parse::<ImportStatus>(), Ok(*s));
        }
        assert!(ImportStatus::Done.is_finished() && !ImportStatus::Running.is_finished());
        assert_eq!(ImportStatus::percent(0, 0), 0);
        assert_eq!(ImportStatus::percent(250, 1000), 25);
        assert_eq!(ImportStatus::percent(2000, 1000), 100);
    }
}
