//! Who decides whether a study may run: the members (a data cooperative: one
//! member, one vote), a steward (a civic data trust: approves or refuses with
//! a published reason), or the steward then the members.

use serde::{Deserialize, Serialize};

/// The operator's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum Governance {
    /// Members vote; a study runs when at least `quorum_percent` of the
    /// members voted and more than `majority_percent` of the votes are yes.
    Cooperative {
        quorum_percent: u8,
        majority_percent: u8,
    },
    /// A steward approves or refuses each study, with a reason.
    #[default]
    Trust,
    /// The steward first, then the members.
    Both {
        quorum_percent: u8,
        majority_percent: u8,
    },
}

/// Where a study is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for the steward's decision.
    Proposed,
    /// The members are voting.
    Voting,
    /// May run: residents may join.
    Approved,
    Refused,
    /// Closed to new participants; contributions on their way.
    Collecting,
    /// The result is public.
    Published,
    /// Too few took part: nothing was released.
    Withheld,
}

impl Governance {
    /// Where a new proposal starts.
    pub fn first_stage(self) -> Stage {
        match self {
            Governance::Cooperative { .. } => Stage::Voting,
            Governance::Trust | Governance::Both { .. } => Stage::Proposed,
        }
    }

    /// Where the steward's decision leads.
    pub fn after_steward(self, approved: bool) -> Stage {
        match (self, approved) {
            (_, false) => Stage::Refused,
            (Governance::Both { .. }, true) => Stage::Voting,
            (_, true) => Stage::Approved,
        }
    }

    /// Whether the vote carried: turnout at least the quorum, and more than
    /// the majority of the votes cast for.
    pub fn vote_carries(self, yes: u64, no: u64, members: u64) -> bool {
        let (quorum, majority) = match self {
            Governance::Cooperative {
                quorum_percent,
                majority_percent,
            }
            | Governance::Both {
                quorum_percent,
                majority_percent,
            } => (u64::from(quorum_percent), u64::from(majority_percent)),
            Governance::Trust => return false,
        };
        let cast = yes + no;
        cast > 0 && cast * 100 >= quorum * members && yes * 100 > majority * cast
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vote_needs_its_quorum_and_more_than_its_majority() {
        let g = Governance::Cooperative {
            quorum_percent: 20,
            majority_percent: 50,
        };
        assert!(g.vote_carries(6, 4, 50));
        assert!(!g.vote_carries(5, 5, 50), "a tie is not a majority");
        assert!(!g.vote_carries(5, 4, 50), "9 of 50 is below a 20% quorum");
        assert!(!g.vote_carries(0, 0, 0));
        assert_eq!(g.first_stage(), Stage::Voting);
        let both = Governance::Both {
            quorum_percent: 10,
            majority_percent: 50,
        };
        assert_eq!(both.after_steward(true), Stage::Voting);
        assert_eq!(Governance::Trust.after_steward(true), Stage::Approved);
        assert_eq!(Governance::Trust.after_steward(false), Stage::Refused);
    }
}
