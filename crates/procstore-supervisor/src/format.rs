//! Short human-readable durations for events and the live view.

use std::time::Duration;

/// `850 us`, `12 ms`, `3.4 s`, `2 min 5 s`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1e-3 {
        format!("{} us", d.as_micros())
    } else if secs < 1.0 {
        format!("{} ms", d.as_millis())
    } else if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        format!("{} min {} s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::duration;
    use std::time::Duration;

    #[test]
    fn picks_a_unit_per_magnitude() {
        assert_eq!(duration(Duration::from_micros(850)), "850 us");
        assert_eq!(duration(Duration::from_millis(12)), "12 ms");
        assert_eq!(duration(Duration::from_millis(3_440)), "3.4 s");
        assert_eq!(duration(Duration::from_secs(125)), "2 min 5 s");
    }
}
