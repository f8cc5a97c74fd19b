//! Time source. Production reads the system clock; tests freeze it and move it by hand to drive
//! time-dependent rules.
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Production reads the system clock. Tests use a frozen clock that moves only when told to,
/// so "a day later" is exact and nothing depends on how fast the machine runs.
#[derive(Clone, Default)]
pub struct Clock {
    /// Added to the system time; for a frozen clock, the time itself.
    offset_ms: Arc<AtomicI64>,
    frozen: bool,
}

impl Clock {
    /// A clock that stands still at `ms` (epoch milliseconds) until advanced (tests).
    pub fn frozen_at(ms: i64) -> Clock {
        Clock {
            offset_ms: Arc::new(AtomicI64::new(ms)),
            frozen: true,
        }
    }

    /// Milliseconds since the Unix epoch, UTC.
    pub fn now_ms(&self) -> i64 {
        let offset = self.offset_ms.load(Ordering::Relaxed);
        if self.frozen {
            return offset;
        }
        system_ms() + offset
    }

    /// Moves this clock forward (tests only; production never calls it).
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// The system time in epoch milliseconds.
pub fn system_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// Korea's offset from UTC (no daylight saving time): pages and monthly figures use Korean time.
pub const KST_MS: i64 = 9 * HOUR_MS;

/// An instant as a Korean wall-clock date and time.
pub fn kst(ms: i64) -> OffsetDateTime {
    let offset =
        time::UtcOffset::from_whole_seconds((KST_MS / 1000) as i32).unwrap_or(time::UtcOffset::UTC);
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset)
}

/// A UTC timestamp stored as epoch milliseconds and written as RFC 3339 on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub i64);

impl Ts {
    pub fn to_rfc3339(self) -> String {
        format_ms(self.0)
    }
}

pub fn format_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let dt = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if frac == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{frac:03}Z")
    }
}

/// Parses an RFC 3339 timestamp (any offset) into epoch milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let dt = OffsetDateTime::parse(s.trim(), &Rfc3339).ok()?;
    Some((dt.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// An RFC 3339 time as sent (any offset), read into epoch milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rfc3339Time(pub i64);

impl<'de> serde::Deserialize<'de> for Rfc3339Time {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(de)?;
        parse_rfc3339(&s)
            .map(Rfc3339Time)
            .ok_or_else(|| serde::de::Error::custom("RFC 3339 시각이어야 해요"))
    }
}

impl utoipa::PartialSchema for Ts {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some("RFC 3339, UTC (`2026-11-24T09:30:00Z`)"))
            .into()
    }
}

impl utoipa::ToSchema for Ts {}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_ms(self.0))
    }
}

pub fn opt_ts(ms: Option<i64>) -> Option<Ts> {
    ms.map(Ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let c = Clock::frozen_at(1_000);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.now_ms(), 1_000);
        c.clone().advance_ms(DAY_MS);
        assert_eq!(c.now_ms(), 1_000 + DAY_MS);
        assert_eq!(format_ms(c.now_ms()), "1970-01-02T00:00:01Z");
    }

    #[test]
    fn rfc3339_times_of_any_offset_read_as_utc_milliseconds() {
        let t: Rfc3339Time = serde_json::from_str("\"2026-11-24T18:30:00+09:00\"").unwrap();
        assert_eq!(format_ms(t.0), "2026-11-24T09:30:00Z");
        assert!(serde_json::from_str::<Rfc3339Time>("\"2026-11-24\"").is_err());
    }
}
