//! Hand-made inline SVG charts: a line chart and a horizontal bar chart.
//!
//! The SVG is meant to be inlined in an HTML page, so it carries no XML
//! namespace declaration and loads nothing.

use std::fmt::Write as _;

use crate::escape::html as esc;
use crate::format;
use procstore_catalog::Family;

/// One line of a [`LineChart`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Series {
    /// Legend text.
    pub(crate) name: String,
    /// Family: floors are dashed.
    pub(crate) kind: Family,
    /// (x, y) points, x ascending; y must be > 0 (log scale).
    pub(crate) points: Vec<(f64, f64)>,
}

/// A line chart with a log-scale y axis.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LineChart {
    /// Heading inside the chart.
    pub(crate) title: String,
    /// What x is.
    pub(crate) x_label: String,
    /// What y is.
    pub(crate) y_label: String,
    /// The lines.
    pub(crate) series: Vec<Series>,
}

/// One bar of a [`BarChart`], or one group of bars when the chart has
/// several series.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bar {
    /// Text left of the bar.
    pub(crate) label: String,
    /// Family: the bar's colour.
    pub(crate) kind: Family,
    /// One (length, text) per series, or just one: `None` draws no bar; the
    /// text (the formatted value, or a gap mark) goes right of the bar.
    pub(crate) values: Vec<(Option<f64>, String)>,
}

impl Bar {
    /// A bar with a single value.
    pub(crate) fn one(label: String, kind: Family, value: Option<f64>, text: String) -> Bar {
        Bar { label, kind, values: vec![(value, text)] }
    }
}

/// A horizontal bar chart, log scale when asked or when the values span
/// over 2 decades.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct BarChart {
    /// Heading inside the chart.
    pub(crate) title: String,
    /// What the values are, e.g. `ns/op`.
    pub(crate) unit: String,
    /// The names of each bar's values, for the legend, when bars are groups
    /// (drawn in the family's colour, fading from the first to the last).
    pub(crate) series: Vec<String>,
    /// Whether the scale is log whatever the span.
    pub(crate) log: bool,
    /// The bars, top to bottom.
    pub(crate) bars: Vec<Bar>,
}

const WIDTH: f64 = 780.0;
const PALETTE: [&str; 12] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#393b79", "#637939",
];

fn kind_colour(kind: Family) -> &'static str {
    match kind {
        Family::Lock => "#1f77b4",
        Family::Channel => "#ff7f0e",
        Family::Atomic => "#2ca02c",
        Family::ConcurrentMap => "#9467bd",
        Family::Floor => "#8c8c8c",
    }
}

/// The most ticks an axis gets. Ticks are counted from the axis' range,
/// never stepped until they reach its end, so no figure (1e308, infinity,
/// NaN: validation keeps them out of a loaded file, not out of this code)
/// can make the loop run or the list grow without bound.
const MAX_TICKS: usize = 12;

/// The decades a log axis can end at: 10^-323 is the smallest power of ten
/// an f64 holds (as a subnormal), 10^308 the largest.
const DECADES: (i32, i32) = (-323, 308);

/// A mapping from values to pixels along one axis.
#[derive(Clone, Copy, Debug)]
struct Scale {
    /// The axis' ends: values on a linear scale, their base-10 logarithms
    /// (whole decades) on a log scale.
    lo: f64,
    hi: f64,
    log: bool,
    from: f64,
    to: f64,
}

impl Scale {
    /// A log scale from the decade below `min` to the decade above `max`.
    fn log(min: f64, max: f64, from: f64, to: f64) -> Scale {
        // `as` saturates infinities and takes NaN to 0; the clamp keeps
        // every decade's power of ten a finite, non-zero f64.
        let decade = |exponent: f64| (exponent as i32).clamp(DECADES.0, DECADES.1);
        let lo = decade(min.log10().floor()).min(DECADES.1 - 1);
        let hi = decade(max.log10().ceil()).max(lo + 1);
        Scale { lo: f64::from(lo), hi: f64::from(hi), log: true, from, to }
    }

    /// A linear scale from 0 to a round number at or above `max`.
    fn linear(max: f64, from: f64, to: f64) -> Scale {
        let hi = if max > 0.0 {
            let step = nice_step(max / 4.0);
            // Rounding up near f64::MAX overflows to infinity, and a
            // subnormal `max` gives a zero step and NaN: `min` takes both
            // to f64::MAX.
            ((max / step).ceil() * step).min(f64::MAX)
        } else {
            1.0
        };
        Scale { lo: 0.0, hi, log: false, from, to }
    }

    /// The pixel of `value`, clamped to the axis.
    fn at(&self, value: f64) -> f64 {
        let t = if self.log {
            if value <= 0.0 { 0.0 } else { (value.log10() - self.lo) / (self.hi - self.lo) }
        } else {
            (value - self.lo) / (self.hi - self.lo)
        };
        self.from + t.clamp(0.0, 1.0) * (self.to - self.from)
    }

    /// Tick values: every decade, or 4-5 round steps; at most
    /// [`MAX_TICKS`] either way.
    fn ticks(&self) -> Vec<f64> {
        if self.log {
            // Whole decades, 1 to 631 of them: one tick every `stride`.
            let decades = (self.hi - self.lo) as usize;
            let stride = decades.div_ceil(MAX_TICKS - 1);
            (0..=decades / stride).map(|k| 10f64.powf(self.lo + (k * stride) as f64)).collect()
        } else {
            let step = nice_step(self.hi / 4.0);
            // About 4 or 5 for any finite axis; `as` saturates whatever a
            // degenerate one makes of it, and the cap bounds that.
            let steps = ((self.hi / step * 1.0001).floor() as usize).min(MAX_TICKS - 1);
            (0..=steps).map(|i| i as f64 * step).collect()
        }
    }
}

/// The smallest of 1, 2, 5 x 10^k at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    let decade = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * decade).find(|&step| step >= raw).unwrap_or(10.0 * decade)
}

/// A tick label: 3 significant digits without trailing zeros.
fn tick_label(value: f64) -> String {
    let text = format::sig3(value);
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}

/// Roughly how wide `text` is at the charts' 12px font.
/// A vertical grid line at `px` from `top` to `bottom`, labelled with
/// `value` at height `label_y`.
fn x_tick(out: &mut String, px: f64, (top, bottom): (f64, f64), label_y: f64, value: f64) {
    let _ = write!(
        out,
        "<line x1=\"{px:.1}\" y1=\"{top}\" x2=\"{px:.1}\" y2=\"{bottom}\" class=\"grid\"/>\
         <text x=\"{px:.1}\" y=\"{label_y}\" class=\"tick\" text-anchor=\"middle\">{}</text>",
        esc(&tick_label(value))
    );
}

fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 7.0
}

fn open(out: &mut String, width: f64, height: f64, title: &str) {
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" \
         height=\"{height:.0}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>\
         <rect x=\"0\" y=\"0\" width=\"{width:.0}\" height=\"{height:.0}\" fill=\"#fff\"/>\
         <text x=\"10\" y=\"20\" class=\"chart-title\">{t}</text>",
        t = esc(title)
    );
}

/// Renders `chart` as an `<svg>` element.
pub(crate) fn line_chart(chart: &LineChart) -> String {
    let (left, right, top, bottom): (f64, f64, f64, f64) = (70.0, 540.0, 40.0, 330.0);
    let legend_rows = chart.series.len() as f64;
    let height = (bottom + 50.0).max(top + 18.0 * legend_rows + 20.0);
    let longest = chart.series.iter().map(|s| text_width(&s.name)).fold(0.0, f64::max);
    let width = WIDTH.max(right + 56.0 + longest);
    let mut out = String::new();
    open(&mut out, width, height, &chart.title);

    let points = chart.series.iter().flat_map(|s| s.points.iter());
    let xs: Vec<f64> = points.clone().map(|p| p.0).filter(|x| *x > 0.0).collect();
    let ys: Vec<f64> = points.map(|p| p.1).filter(|y| *y > 0.0).collect();
    if xs.is_empty() || ys.is_empty() {
        let _ = write!(out, "<text x=\"{left}\" y=\"{}\">not measured</text></svg>", top + 40.0);
        return out;
    }
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let y = Scale::log(min(&ys), max(&ys), bottom, top);
    let (x_min, x_max) = (min(&xs), max(&xs));
    let x = |value: f64| {
        if x_max <= x_min {
            (left + right) / 2.0
        } else {
            left + (value / x_min).log10() / (x_max / x_min).log10() * (right - left)
        }
    };

    // Grid and y ticks.
    for tick in y.ticks() {
        let py = y.at(tick);
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{py:.1}\" x2=\"{right}\" y2=\"{py:.1}\" class=\"grid\"/>\
             <text x=\"{}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            py + 4.0,
            esc(&tick_label(tick))
        );
    }
    // x ticks at every x present.
    let mut x_ticks = xs.clone();
    x_ticks.sort_by(f64::total_cmp);
    x_ticks.dedup();
    for tick in x_ticks {
        x_tick(&mut out, x(tick), (top, bottom), bottom + 16.0, tick);
    }
    let _ = write!(
        out,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" class=\"frame\"/>\
         <text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>\
         <text x=\"14\" y=\"{}\" class=\"axis\" text-anchor=\"middle\" \
         transform=\"rotate(-90 14 {})\">{} (log scale)</text>",
        right - left,
        bottom - top,
        (left + right) / 2.0,
        bottom + 36.0,
        esc(&chart.x_label),
        (top + bottom) / 2.0,
        (top + bottom) / 2.0,
        esc(&chart.y_label)
    );

    for (i, series) in chart.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let dash = if series.kind == Family::Floor { " stroke-dasharray=\"6 4\"" } else { "" };
        let drawn: Vec<(f64, f64)> =
            series.points.iter().filter(|(px, py)| *px > 0.0 && *py > 0.0).copied().collect();
        let path: Vec<String> =
            drawn.iter().map(|&(px, py)| format!("{:.1},{:.1}", x(px), y.at(py))).collect();
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>",
            path.join(" ")
        );
        for &(px, py) in &drawn {
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"><title>{}: {} threads, {}</title></circle>",
                x(px),
                y.at(py),
                esc(&series.name),
                tick_label(px),
                esc(&format::ns(Some(py)))
            );
        }
        let ly = top + 18.0 * i as f64;
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"3\"{dash}/>\
             <text x=\"{}\" y=\"{:.1}\" class=\"legend\">{}</text>",
            right + 15.0,
            ly + 6.0,
            right + 40.0,
            ly + 6.0,
            right + 46.0,
            ly + 10.0,
            esc(&series.name)
        );
    }
    out.push_str("</svg>");
    out
}

/// Renders `chart` as an `<svg>` element.
pub(crate) fn bar_chart(chart: &BarChart) -> String {
    // Each bar is a group of `per_bar` bars `thick` high, `between` apart.
    let per_bar = chart.series.len().max(1);
    let (thick, between) = if per_bar == 1 { (16.0, 0.0) } else { (12.0, 2.0) };
    let row = 6.0 + per_bar as f64 * (thick + between) - between;
    let top = if chart.series.is_empty() { 52.0 } else { 70.0 };
    let longest = chart.bars.iter().map(|b| text_width(&b.label)).fold(0.0, f64::max);
    let label_right = (longest + 10.0).clamp(120.0, 400.0);
    let left = label_right + 10.0;
    let right = left + 380.0;
    let values = || chart.bars.iter().flat_map(|b| &b.values);
    let longest_text = values().map(|(_, text)| text_width(text)).fold(0.0, f64::max);
    let width = WIDTH.max(right + 16.0 + longest_text);
    let bottom = top + row * chart.bars.len() as f64;
    let height = bottom + 40.0;
    let mut out = String::new();
    open(&mut out, width, height, &chart.title);

    let positive: Vec<f64> = values().filter_map(|(v, _)| *v).filter(|v| *v > 0.0).collect();
    let min = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values().filter_map(|(v, _)| *v).fold(0.0, f64::max);
    let log = !positive.is_empty() && (chart.log || max / min > 100.0);
    let scale = if log { Scale::log(min, max, left, right) } else { Scale::linear(max, left, right) };
    // Later series fade: 1 for the first, 0.4 for the last.
    let opacity = |i: usize| if per_bar == 1 { 1.0 } else { 1.0 - 0.6 * i as f64 / (per_bar - 1) as f64 };
    let fade = |i: usize| {
        let o = opacity(i);
        if o < 1.0 { format!(" fill-opacity=\"{o:.2}\"") } else { String::new() }
    };

    // Legend of the families present, then of the series.
    let mut kinds: Vec<Family> = chart.bars.iter().map(|b| b.kind).collect();
    kinds.sort();
    kinds.dedup();
    let families = kinds.iter().map(|kind| (kind.label(), kind_colour(*kind), String::new(), 30.0));
    let series = chart.series.iter().enumerate().map(|(i, name)| (name.as_str(), "#555", fade(i), 48.0));
    for (i, (name, colour, fade, y)) in families.enumerate().chain(series.enumerate()) {
        let lx = 10.0 + 130.0 * i as f64;
        let _ = write!(
            out,
            "<rect x=\"{lx}\" y=\"{y}\" width=\"10\" height=\"10\" fill=\"{colour}\"{fade}/>\
             <text x=\"{}\" y=\"{}\" class=\"legend\">{}</text>",
            lx + 14.0,
            y + 9.0,
            esc(name)
        );
    }
    for tick in scale.ticks() {
        x_tick(&mut out, scale.at(tick), (top, bottom), bottom + 14.0, tick);
    }
    let scale_note = if log { " (log scale)" } else { "" };
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}{scale_note}</text>",
        (left + right) / 2.0,
        bottom + 32.0,
        esc(&chart.unit)
    );
    for (i, bar) in chart.bars.iter().enumerate() {
        let y = top + row * i as f64;
        let _ = write!(
            out,
            "<text x=\"{label_right}\" y=\"{:.1}\" class=\"label\" text-anchor=\"end\">{}</text>",
            y + row / 2.0 + 4.0,
            esc(&bar.label)
        );
        for (j, (value, text)) in bar.values.iter().enumerate() {
            let bar_y = y + 3.0 + j as f64 * (thick + between);
            let named = match chart.series.get(j) {
                Some(name) => format!("{} {name}", bar.label),
                None => bar.label.clone(),
            };
            let end = value.map_or(left, |v| scale.at(v));
            if end > left {
                let _ = write!(
                    out,
                    "<rect x=\"{left}\" y=\"{bar_y:.1}\" width=\"{:.1}\" height=\"{thick}\" fill=\"{}\"{}>\
                     <title>{}: {}</title></rect>",
                    end - left,
                    kind_colour(bar.kind),
                    fade(j),
                    esc(&named),
                    esc(text)
                );
            }
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"value\">{}</text>",
                end + 6.0,
                bar_y + thick / 2.0 + 4.0,
                esc(text)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(values: &[f64]) -> BarChart {
        BarChart {
            title: "t".to_owned(),
            unit: "ns/op".to_owned(),
            bars: values
                .iter()
                .map(|&v| Bar::one("b".to_owned(), Family::Lock, Some(v), format::ns(Some(v))))
                .collect(),
            ..BarChart::default()
        }
    }

    #[test]
    fn bar_scale_goes_log_past_two_decades() {
        assert!(!bar_chart(&bars(&[1.0, 50.0])).contains("log scale"));
        assert!(bar_chart(&bars(&[0.5, 1500.0])).contains("log scale"));
    }

    #[test]
    fn grouped_bars_fade_by_series_on_a_forced_log_scale() {
        let chart = BarChart {
            series: vec!["p50".to_owned(), "p99".to_owned()],
            log: true,
            bars: vec![Bar {
                values: vec![(Some(2.0), "2".to_owned()), (None, "—".to_owned())],
                ..bars(&[1.0]).bars[0].clone()
            }],
            ..bars(&[])
        };
        let svg = bar_chart(&chart);
        assert!(svg.contains("log scale") && svg.contains(">p99</text>"));
        assert!(svg.contains("<title>b p50: 2</title>") && !svg.contains("<title>b p99"));
        assert_eq!(svg.matches("fill-opacity=\"0.40\"").count(), 1, "the last series' legend swatch");
        assert!(!bar_chart(&bars(&[1.0, 2.0])).contains("fill-opacity"));
    }

    #[test]
    fn scales_and_ticks() {
        let log = Scale::log(0.24, 1631.0, 0.0, 100.0);
        assert_eq!(log.ticks().len(), 6); // 0.1 .. 10,000
        assert!((log.at(1.0) - 20.0).abs() < 1e-9);
        let linear = Scale::linear(144.0, 0.0, 100.0);
        assert_eq!(linear.hi, 150.0);
        assert_eq!(tick_label(0.1), "0.1");
        assert_eq!(tick_label(1000.0), "1,000");
    }

    #[test]
    fn any_range_has_a_bounded_number_of_ticks() {
        let extremes = [
            (1.0, 1.5e308),
            (5e-324, f64::MAX),
            (1.0, f64::INFINITY),
            (f64::INFINITY, f64::INFINITY),
            (f64::NAN, f64::NAN),
            (5e-324, 5e-324),
        ];
        for (min, max) in extremes {
            for scale in [Scale::log(min, max, 0.0, 100.0), Scale::linear(max, 0.0, 100.0)] {
                let ticks = scale.ticks();
                assert!((1..=MAX_TICKS).contains(&ticks.len()), "{scale:?}: {ticks:?}");
                assert!(ticks.iter().all(|t| t.is_finite()), "{scale:?}: {ticks:?}");
            }
        }
    }

    #[test]
    fn charts_of_huge_or_impossible_figures_finish_small() {
        for value in [1.5e308, f64::MAX, f64::INFINITY, f64::NAN, -5.0, 5e-324] {
            let linear = bar_chart(&bars(&[1.0, value]));
            let log = bar_chart(&BarChart { log: true, ..bars(&[value, 2.0]) });
            let line = line_chart(&LineChart {
                series: vec![Series {
                    name: "s".to_owned(),
                    kind: Family::Lock,
                    points: vec![(1.0, value), (2.0, 3.0), (value, 1.0)],
                }],
                ..LineChart::default()
            });
            for svg in [linear, log, line] {
                assert!(svg.ends_with("</svg>") && svg.len() < 20_000, "{value}: {} bytes", svg.len());
            }
        }
    }

    #[test]
    fn text_is_escaped() {
        let chart = LineChart {
            title: "<b>".to_owned(),
            x_label: "x".to_owned(),
            y_label: "y".to_owned(),
            series: vec![Series {
                name: "a&b".to_owned(),
                kind: Family::Floor,
                points: vec![(1.0, 2.0), (4.0, 3.0)],
            }],
        };
        let svg = line_chart(&chart);
        assert!(svg.contains("&lt;b&gt;") && svg.contains("a&amp;b"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("stroke-dasharray"));
    }
}
