//! Number and date formatting shared by every output.

/// What a missing figure shows as.
pub(crate) const GAP: &str = "—";

/// `value` rounded to 3 significant digits, thousands grouped:
/// `0.512`, `15.9`, `1,630`, `12,300`.
pub(crate) fn sig3(value: f64) -> String {
    if !value.is_finite() {
        return GAP.to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = |v: f64| v.abs().log10().floor() as i32;
    let scale = 10f64.powi(magnitude(value) - 2);
    let rounded = (value / scale).round() * scale;
    // Rounding can carry into the next decade (9.996 -> 10.0).
    let decimals = (2 - magnitude(rounded)).max(0) as usize;
    if decimals > 0 { format!("{rounded:.decimals$}") } else { group_thousands(rounded.round()) }
}

fn group_thousands(whole: f64) -> String {
    let digits = format!("{:.0}", whole.abs());
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if whole < 0.0 {
        grouped.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A time per operation: `15.9 ns`, or [`GAP`].
pub(crate) fn ns(value: Option<f64>) -> String {
    value.map_or_else(|| GAP.to_owned(), |v| format!("{} ns", sig3(v)))
}

/// A ratio: `31.2x`, or [`GAP`].
pub(crate) fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| GAP.to_owned(), |v| format!("{}x", sig3(v)))
}

/// A rate per second with an SI prefix: `998/s`, `99.8k/s`, `1.23M/s`.
pub(crate) fn per_sec(value: Option<f64>) -> String {
    value.map_or_else(
        || GAP.to_owned(),
        |v| format!("{}/s", scaled(v, &[(1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")])),
    )
}

/// A time given in ns, in the unit that keeps it short: `512 ns`,
/// `15.9 µs`, `1.23 ms`, `2.50 s`, or `—` for none.
pub fn duration(ns: Option<f64>) -> String {
    ns.map_or_else(|| GAP.to_owned(), |v| scaled(v, &[(1e9, " s"), (1e6, " ms"), (1e3, " µs"), (1.0, " ns")]))
}

/// `value` in the largest of `units` (factor, suffix; largest first, the
/// last one the fallback) it reaches, with 3 significant digits.
fn scaled(value: f64, units: &[(f64, &str)]) -> String {
    let last = units[units.len() - 1];
    // 999.6 would round to "1,000" of the smaller unit: show "1.00" of the larger.
    let (factor, suffix) = units.iter().copied().find(|(f, _)| value.abs() >= f * 0.9995).unwrap_or(last);
    format!("{}{suffix}", sig3(value / factor))
}

/// A count that is usually whole (bytes, allocations): whole numbers print
/// without decimals, fractions with 3 significant digits.
pub(crate) fn count(value: f64) -> String {
    if (value - value.round()).abs() < 0.005 { group_thousands(value.round()) } else { sig3(value) }
}

/// Memory per operation: `0 B`, `144 B, 2 allocs`, or [`GAP`].
pub(crate) fn memory(bytes: Option<f64>, allocs: Option<f64>) -> String {
    match (bytes, allocs) {
        (None, None) => GAP.to_owned(),
        (Some(b), None) => format!("{} B", count(b)),
        (None, Some(a)) => allocations(a),
        (Some(b), Some(a)) => format!("{} B, {}", count(b), allocations(a)),
    }
}

fn allocations(allocs: f64) -> String {
    let noun = if count(allocs) == "1" { "alloc" } else { "allocs" };
    format!("{} {noun}", count(allocs))
}

/// A percentage with no decimals: `91%`.
pub(crate) fn percent(fraction: f64) -> String {
    format!("{:.0}%", fraction * 100.0)
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn utc(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let secs = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

/// Howard Hinnant's days-to-civil conversion (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(0.512), "0.512");
        assert_eq!(sig3(0.54), "0.540");
        assert_eq!(sig3(15.94), "15.9");
        assert_eq!(sig3(69.47), "69.5");
        assert_eq!(sig3(1631.0), "1,630");
        assert_eq!(sig3(12_345.0), "12,300");
        assert_eq!(sig3(1_234_567.0), "1,230,000");
        assert_eq!(sig3(9.996), "10.0");
        assert_eq!(sig3(999.6), "1,000");
        assert_eq!(sig3(0.000_512_3), "0.000512");
        assert_eq!(sig3(0.0), "0");
        assert_eq!(sig3(f64::NAN), GAP);
    }

    #[test]
    fn units() {
        assert_eq!(ns(Some(15.99)), "16.0 ns");
        assert_eq!(ns(None), GAP);
        assert_eq!(ratio(Some(31.23)), "31.2x");
        assert_eq!(per_sec(Some(98_765.0)), "98.8k/s");
        assert_eq!(per_sec(Some(1_234_000.0)), "1.23M/s");
        assert_eq!(per_sec(Some(12.0)), "12.0/s");
        assert_eq!(per_sec(Some(999.7)), "1.00k/s");
        assert_eq!(duration(Some(512.0)), "512 ns");
        assert_eq!(duration(Some(15_940.0)), "15.9 µs");
        assert_eq!(duration(Some(999_700.0)), "1.00 ms");
        assert_eq!(duration(Some(2.5e9)), "2.50 s");
        assert_eq!(duration(Some(0.0)), "0 ns");
        assert_eq!(duration(None), GAP);
        assert_eq!(memory(Some(0.0), Some(0.0)), "0 B, 0 allocs");
        assert_eq!(memory(Some(144.0), Some(1.0)), "144 B, 1 alloc");
        assert_eq!(memory(Some(0.016), None), "0.0160 B");
        assert_eq!(memory(None, None), GAP);
        assert_eq!(percent(0.912), "91%");
    }

    #[test]
    fn dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_776_000_000), "2026-04-12 13:20 UTC");
    }
}
