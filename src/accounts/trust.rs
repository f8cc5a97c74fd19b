//! 이웃 온도 (trust): one number per neighbour, computed here and nowhere else. The formula is
//! documented in docs/trust.md; the inputs are gathered by `events` when they change and the
//! result is stored on the user (`users.trust_tenths`), so reads cost nothing.

/// Every account starts here.
pub const BASE: f64 = 36.5;
pub const MIN: f64 = 0.0;
pub const MAX: f64 = 99.9;
/// An event's weight halves every 180 days.
pub const HALF_LIFE_DAYS: f64 = 180.0;
const DAY_MS: f64 = 86_400_000.0;

/// What moves the temperature.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrustEvent {
    /// A review the user received, once others may see it (1–5 stars).
    Review { stars: i64 },
    /// As borrower, returned by the agreed end.
    ReturnedOnTime,
    /// As borrower, returned after the agreed end.
    ReturnedLate,
    /// Cancelled a rental after it was accepted.
    CancelledAccepted,
    /// A report against the user that an admin upheld.
    ReportUpheld,
}

impl TrustEvent {
    /// Degrees at full weight (a fresh event).
    pub fn weight(self) -> f64 {
        match self {
            TrustEvent::Review { stars } => match stars {
                5 => 1.0,
                4 => 0.5,
                3 => 0.0,
                2 => -1.0,
                _ => -2.0,
            },
            TrustEvent::ReturnedOnTime => 0.5,
            TrustEvent::ReturnedLate => -1.0,
            TrustEvent::CancelledAccepted => -1.5,
            TrustEvent::ReportUpheld => -3.0,
        }
    }
}

/// An event and when it happened (ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dated {
    pub at: i64,
    pub event: TrustEvent,
}

/// `36.5 + Σ weight × 0.5^(age in days / 180)`, clamped to 0–99.9 and rounded to one decimal.
/// Events dated in the future count as fresh.
pub fn temperature(events: &[Dated], now: i64) -> f64 {
    let sum: f64 = events
        .iter()
        .map(|d| {
            let age_days = ((now - d.at).max(0) as f64) / DAY_MS;
            d.event.weight() * 0.5f64.powf(age_days / HALF_LIFE_DAYS)
        })
        .sum();
    ((BASE + sum).clamp(MIN, MAX) * 10.0).round() / 10.0
}

/// Stored as tenths of a degree.
pub fn to_tenths(t: f64) -> i64 {
    (t * 10.0).round() as i64
}

pub fn from_tenths(t: i64) -> f64 {
    t as f64 / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;
    fn at(days_ago: f64, event: TrustEvent) -> Dated {
        Dated {
            at: NOW - (days_ago * DAY_MS) as i64,
            event,
        }
    }

    #[test]
    fn a_new_account_is_36_5() {
        assert_eq!(temperature(&[], NOW), 36.5);
    }

    #[test]
    fn each_kind_moves_it_the_documented_way() {
        let one = |e| temperature(&[at(0.0, e)], NOW);
        assert_eq!(one(TrustEvent::Review { stars: 5 }), 37.5);
        assert_eq!(one(TrustEvent::Review { stars: 4 }), 37.0);
        assert_eq!(one(TrustEvent::Review { stars: 3 }), 36.5);
        assert_eq!(one(TrustEvent::Review { stars: 2 }), 35.5);
        assert_eq!(one(TrustEvent::Review { stars: 1 }), 34.5);
        assert_eq!(one(TrustEvent::ReturnedOnTime), 37.0);
        assert_eq!(one(TrustEvent::ReturnedLate), 35.5);
        assert_eq!(one(TrustEvent::CancelledAccepted), 35.0);
        assert_eq!(one(TrustEvent::ReportUpheld), 33.5);
    }

    #[test]
    fn an_event_halves_every_180_days() {
        let e = TrustEvent::Review { stars: 5 };
        assert_eq!(temperature(&[at(180.0, e)], NOW), 37.0);
        assert_eq!(temperature(&[at(360.0, e)], NOW), 36.8);
        // A future date (clock skew) counts as fresh, never more.
        assert_eq!(temperature(&[at(-30.0, e)], NOW), 37.5);
    }

    #[test]
    fn it_is_clamped_to_0_and_99_9() {
        let many_good = vec![at(0.0, TrustEvent::Review { stars: 5 }); 200];
        assert_eq!(temperature(&many_good, NOW), 99.9);
        let many_bad = vec![at(0.0, TrustEvent::ReportUpheld); 50];
        assert_eq!(temperature(&many_bad, NOW), 0.0);
    }

    #[test]
    fn tenths_round_trip() {
        for t in [0.0, 36.5, 37.3, 99.9] {
            assert_eq!(from_tenths(to_tenths(t)), t);
        }
    }
}
