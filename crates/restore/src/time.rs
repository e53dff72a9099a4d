//! Times given on the command line (`--stop-datetime`) and printed in reports: UTC, as
//! `YYYY-MM-DD HH:MM:SS`, with an optional `T` separator and `Z` or `±HH:MM` offset, or
//! `@UNIX_SECONDS`.

use crate::error::{Error, Result};

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses a time given by the user into Unix seconds.
pub fn parse_datetime(text: &str) -> Result<u32> {
    let t = text.trim();
    let bad = || {
        Error::Usage(format!(
            "{text:?} is not a time: expected 'YYYY-MM-DD HH:MM:SS' (UTC), an RFC 3339 time \
             ('2026-11-22T08:00:00+01:00') or @UNIX_SECONDS"
        ))
    };
    if let Some(n) = t.strip_prefix('@') {
        return n.parse::<u32>().map_err(|_| bad());
    }
    let (date, rest) = t.split_at(t.find([' ', 'T']).ok_or_else(bad)?);
    let rest = &rest[1..];
    let (clock, offset) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0i64)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (c, o) = rest.split_at(i);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let (h, m) = o[1..].split_once(':').ok_or_else(bad)?;
        let h: i64 = h.parse().map_err(|_| bad())?;
        let m: i64 = m.parse().map_err(|_| bad())?;
        (c, sign * (h * 3600 + m * 60))
    } else {
        (rest, 0)
    };
    let num = |s: Option<&str>| s.and_then(|s| s.parse::<i64>().ok()).ok_or_else(bad);
    let mut d = date.split('-');
    let (y, mo, day) = (num(d.next())?, num(d.next())?, num(d.next())?);
    let mut c = clock.split(':');
    let (h, mi) = (num(c.next())?, num(c.next())?);
    // seconds may carry a fraction: a transaction "at" 12:00:00.5 is at or after 12:00:00
    let s = match c.next() {
        Some(s) => s
            .split('.')
            .next()
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(bad)?,
        None => 0,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    let secs = days_from_civil(y, mo, day) * 86_400 + h * 3600 + mi * 60 + s - offset;
    u32::try_from(secs).map_err(|_| bad())
}

/// `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn format_utc(ts: u32) -> String {
    let ts = i64::from(ts);
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    let s = ts.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips() {
        for ts in [0u32, 86_399, 951_782_400, 1_795_310_852, u32::MAX] {
            assert_eq!(parse_datetime(&format_utc(ts)).unwrap(), ts);
        }
        assert_eq!(format_utc(1_795_310_852), "2026-11-22 01:27:32");
        assert_eq!(
            parse_datetime("2026-11-22T02:27:32+01:00").unwrap(),
            1_795_310_852
        );
        assert_eq!(
            parse_datetime("2026-11-22T01:27:32Z").unwrap(),
            1_795_310_852
        );
        assert_eq!(
            parse_datetime("2026-11-22 01:27:32.999").unwrap(),
            1_795_310_852
        );
        assert_eq!(parse_datetime("@17").unwrap(), 17);
        for bad in [
            "",
            "2026-13-01 00:00:00",
            "yesterday",
            "2026-11-22",
            "1960-01-01 00:00:00",
        ] {
            assert!(parse_datetime(bad).is_err(), "{bad}");
        }
    }
}
