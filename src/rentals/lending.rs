//! The lender's own page, `/me/lending` (빌려준 물건 달력): a two-month calendar of every rental
//! the signed-in user lends, coloured by where it stands, and a chart of the last 12 months
//! (rentals and income per month) drawn here as inline SVG. The calendar is `static/calendar.js`
//! in its read-only mode, fed by JSON rendered into the page; the chart needs no script.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::model::{Rental, RentalStatus};
use super::service::{self, MonthStat, YearMonth};
use crate::state::AppState;
use crate::web::render::{render, Layout};
use crate::web::view;
use crate::web::{Ctx, QueryMap};

/// Months the calendar shows at once.
const SHOWN_MONTHS: i32 = 2;
/// Months in the chart, the current one last.
const CHART_MONTHS: i32 = 12;

pub fn router() -> Router<AppState> {
    Router::new().route("/me/lending", get(page))
}

/// Where a rental stands on the lender's calendar: its status, an accepted one split by time
/// (the rental's derived `in_progress` and `overdue`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LendingState {
    Requested,
    Upcoming,
    InProgress,
    Overdue,
    Returned,
    Rejected,
    Cancelled,
    Expired,
}

impl LendingState {
    pub fn of(r: &Rental) -> LendingState {
        match r.status {
            RentalStatus::Requested => LendingState::Requested,
            RentalStatus::Accepted if r.overdue => LendingState::Overdue,
            RentalStatus::Accepted if r.in_progress => LendingState::InProgress,
            RentalStatus::Accepted => LendingState::Upcoming,
            RentalStatus::Returned => LendingState::Returned,
            RentalStatus::Rejected => LendingState::Rejected,
            RentalStatus::Cancelled => LendingState::Cancelled,
            RentalStatus::Expired => LendingState::Expired,
        }
    }

    /// Its colour (a CSS class suffix, `tone-…`); the three ways a request ends without a rental
    /// share one.
    pub fn tone(self) -> &'static str {
        match self {
            LendingState::Requested => "requested",
            LendingState::Upcoming => "upcoming",
            LendingState::InProgress => "in-progress",
            LendingState::Overdue => "overdue",
            LendingState::Returned => "returned",
            LendingState::Rejected | LendingState::Cancelled | LendingState::Expired => "closed",
        }
    }
}

/// The legend: each colour once, with what it means.
const LEGEND: [(&str, &str); 6] = [
    ("requested", "요청 중"),
    ("upcoming", "대여 예정"),
    ("in-progress", "대여 중"),
    ("overdue", "반납 지연"),
    ("returned", "반납 완료"),
    ("closed", "거절됨 · 취소됨 · 만료됨"),
];

struct LegendEntry {
    tone: &'static str,
    label: &'static str,
}

/// One rental in the page's list.
struct LentView {
    id: i64,
    title: String,
    borrower: String,
    period: String,
    price: String,
    label: &'static str,
    tone: &'static str,
}

/// One rental on the calendar (`static/calendar.js`, view mode).
#[derive(Serialize)]
struct CalendarEvent {
    id: i64,
    start: i64,
    end: i64,
    tone: &'static str,
    label: &'static str,
    title: String,
    who: String,
    period: String,
    href: String,
}

#[derive(Serialize)]
struct CalendarData {
    first: String,
    months: i32,
    events: Vec<CalendarEvent>,
    prev: String,
    next: String,
}

/// One row of the chart's table.
struct ChartRow {
    month: String,
    rentals: i64,
    income: String,
    requests: i64,
}

#[derive(Template)]
#[template(path = "lending.html")]
struct LendingPage {
    l: Layout,
    span: String,
    prev_href: String,
    next_href: String,
    /// Back to the current month, empty when it is shown.
    today_href: String,
    legend: Vec<LegendEntry>,
    rentals: Vec<LentView>,
    /// More than `limit` rentals meet the months: the page shows the first `limit`.
    more: bool,
    limit: usize,
    calendar_json: String,
    chart_svg: String,
    chart_span: String,
    rows: Vec<ChartRow>,
    total_rentals: i64,
    total_income: String,
}

fn href(m: YearMonth) -> String {
    format!("/me/lending?month={}", m.key())
}

/// `2025년 3월 – 4월`, or across years `2024년 12월 – 2025년 1월`.
fn span(first: YearMonth, last: YearMonth) -> String {
    if first.year == last.year {
        format!("{}년 {}월 – {}월", first.year, first.month, last.month)
    } else {
        format!(
            "{}년 {}월 – {}년 {}월",
            first.year, first.month, last.year, last.month
        )
    }
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    q: QueryMap,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let this = YearMonth::of(state.clock.now_ms());
    let first = q.str("month").and_then(YearMonth::parse).unwrap_or(this);
    let (rentals, more) = service::lent_in_months(&state, user, first, SHOWN_MONTHS)
        .await
        .map_err(|e| ctx.fail(e))?;
    let stats = service::lent_per_month(&state, user, this, CHART_MONTHS)
        .await
        .map_err(|e| ctx.fail(e))?;

    let mut events = Vec::with_capacity(rentals.len());
    let mut list = Vec::with_capacity(rentals.len());
    for r in &rentals {
        let st = LendingState::of(r);
        // The words the rest of the site uses for the same state.
        let (label, _) = view::status_label(r);
        let period = view::period(r);
        events.push(CalendarEvent {
            id: r.id,
            start: r.start_at.0,
            end: r.end_at.0,
            tone: st.tone(),
            label,
            title: r.item.title.clone(),
            who: format!("{}님", r.borrower.nickname),
            period: period.clone(),
            href: format!("/rentals/{}", r.id),
        });
        list.push(LentView {
            id: r.id,
            title: r.item.title.clone(),
            borrower: r.borrower.nickname.clone(),
            period,
            price: view::total_price(r.total_price),
            label,
            tone: st.tone(),
        });
    }
    let last_shown = first.plus(SHOWN_MONTHS - 1);
    let data = CalendarData {
        first: first.key(),
        months: SHOWN_MONTHS,
        events,
        prev: href(first.plus(-1)),
        next: href(first.plus(1)),
    };
    let chart = chart(&stats);
    let chart_span = match (stats.first(), stats.last()) {
        (Some(a), Some(b)) => span(a.month, b.month),
        _ => String::new(),
    };
    let total_rentals = stats.iter().map(|s| s.rentals).sum::<i64>();
    let total_income = stats
        .iter()
        .fold(0i64, |sum, s| sum.saturating_add(s.income));
    let desc = format!(
        "{chart_span}, 대여 {total_rentals}건, 수입 {}원. 막대는 달마다 시작한 대여 건수(왼쪽 눈금), 선은 그 대여들의 수입(오른쪽 눈금)이에요.",
        view::won(total_income)
    );
    let page = LendingPage {
        l: Layout::new(&ctx, "빌려준 물건 달력"),
        span: span(first, last_shown),
        prev_href: href(first.plus(-1)),
        next_href: href(first.plus(1)),
        today_href: if first == this {
            String::new()
        } else {
            "/me/lending".into()
        },
        legend: LEGEND
            .iter()
            .map(|&(tone, label)| LegendEntry { tone, label })
            .collect(),
        rentals: list,
        more,
        limit: service::LENDING_CALENDAR_MAX,
        calendar_json: script_json(&data),
        chart_svg: svg(&chart, "최근 12개월 대여 건수와 수입", &desc),
        chart_span,
        rows: stats
            .iter()
            .map(|s| ChartRow {
                month: format!("{}년 {}월", s.month.year, s.month.month),
                rentals: s.rentals,
                income: format!("{}원", view::won(s.income)),
                requests: s.requests,
            })
            .collect(),
        total_rentals,
        total_income: format!("{}원", view::won(total_income)),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

/// JSON to put inside `<script type="application/json">`: `<`, `>` and `&` escaped, so no text in
/// it (an item title) can close the element.
fn script_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

// ---------------------------------------------------------------- the chart

/// The chart's drawing box (SVG user units); it scales to the page's width.
pub const CHART_W: f64 = 360.0;
pub const CHART_H: f64 = 224.0;
const PLOT_LEFT: f64 = 34.0;
const PLOT_RIGHT: f64 = CHART_W - 46.0;
const PLOT_TOP: f64 = 12.0;
const PLOT_BOTTOM: f64 = 178.0;
/// The income axis never shows less than 10,000원, so a month of 3,000원 is not a full line.
const INCOME_FLOOR: i64 = 10_000;

/// The smallest of 1, 2, 5 × 10ⁿ at or above `v` (1 for nothing): a round axis maximum.
pub fn nice_ceiling(v: i64) -> i64 {
    if v <= 1 {
        return 1;
    }
    let mut base: i64 = 1;
    loop {
        for m in [1, 2, 5] {
            if let Some(c) = base.checked_mul(m).filter(|c| *c >= v) {
                return c;
            }
        }
        match base.checked_mul(10) {
            Some(b) => base = b,
            None => return v,
        }
    }
}

/// An amount in few characters for an axis: `5,000`, `2.5만`, `300만`, `1.5억`, `2,000억`.
pub fn compact_amount(n: i64) -> String {
    const MAN: i64 = 10_000;
    const EOK: i64 = 100_000_000;
    let (unit, word) = if n.abs() >= EOK {
        (EOK, "억")
    } else if n.abs() >= MAN {
        (MAN, "만")
    } else {
        return view::won(n);
    };
    if n % unit == 0 {
        format!("{}{word}", view::won(n / unit))
    } else {
        format!("{:.1}{word}", n as f64 / unit as f64)
    }
}

/// `value` as a height in `0..=span` against `max` (never NaN: `max` is at least 1).
fn scaled(value: i64, max: i64, span: f64) -> f64 {
    (value.max(0) as f64 / max.max(1) as f64 * span).clamp(0.0, span)
}

/// One month's bar and income point.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// The middle of the month's slot (the income point and the label).
    pub center: f64,
    pub income_y: f64,
    /// `3월`.
    pub label: String,
    /// `2025년` under the first month and under each January.
    pub year: Option<String>,
}

/// A horizontal grid line with its labels (count on the left, income on the right).
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub y: f64,
    pub count: String,
    pub income: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub count_max: i64,
    pub income_max: i64,
}

/// The chart's geometry: bars of rentals against a round count maximum, the income line against a
/// round amount maximum, grid lines at 0, ½ and 1 of each.
pub fn chart(stats: &[MonthStat]) -> Chart {
    let height = PLOT_BOTTOM - PLOT_TOP;
    let count_max = nice_ceiling(stats.iter().map(|s| s.rentals).max().unwrap_or(0));
    let income_max =
        nice_ceiling(stats.iter().map(|s| s.income).max().unwrap_or(0)).max(INCOME_FLOOR);
    let slot = (PLOT_RIGHT - PLOT_LEFT) / stats.len().max(1) as f64;
    let width = (slot * 0.6).min(28.0);
    let bars = stats
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let center = PLOT_LEFT + slot * (i as f64 + 0.5);
            let h = scaled(s.rentals, count_max, height);
            Bar {
                x: center - width / 2.0,
                y: PLOT_BOTTOM - h,
                width,
                height: h,
                center,
                income_y: PLOT_BOTTOM - scaled(s.income, income_max, height),
                label: format!("{}월", s.month.month),
                year: (i == 0 || s.month.month == 1).then(|| format!("{}년", s.month.year)),
            }
        })
        .collect();
    let ticks = [(0, 1), (1, 2), (1, 1)]
        .iter()
        .map(|&(num, den)| {
            let count = count_max * num;
            let income = income_max / den * num;
            Tick {
                y: PLOT_BOTTOM - height * num as f64 / den as f64,
                // Half of an odd count is no count: that line goes unlabelled on the left.
                count: if count % den == 0 {
                    (count / den).to_string()
                } else {
                    String::new()
                },
                income: compact_amount(income),
            }
        })
        .collect();
    Chart {
        bars,
        ticks,
        count_max,
        income_max,
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart as inline SVG: an image with its title and description for assistive technology
/// (the page adds a table of the figures), styled by classes only (the CSP allows no inline
/// style), so the theme's colours apply.
pub fn svg(c: &Chart, title: &str, desc: &str) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(4096);
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {CHART_W} {CHART_H}" role="img" aria-labelledby="chart-title chart-desc" focusable="false"><title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    s.push_str(r#"<g class="chart-grid">"#);
    for t in &c.ticks {
        let _ = write!(
            s,
            r#"<line x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{y:.1}" y2="{y:.1}"/>"#,
            y = t.y
        );
    }
    s.push_str(r#"</g><g class="chart-label chart-count">"#);
    for t in c.ticks.iter().filter(|t| !t.count.is_empty()) {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            PLOT_LEFT - 6.0,
            t.y + 3.5,
            esc(&t.count)
        );
    }
    s.push_str(r#"</g><g class="chart-label chart-income">"#);
    for t in &c.ticks {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            PLOT_RIGHT + 6.0,
            t.y + 3.5,
            esc(&t.income)
        );
    }
    s.push_str(r#"</g><g class="chart-bars">"#);
    for b in c.bars.iter().filter(|b| b.height > 0.0) {
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="2"/>"#,
            b.x, b.y, b.width, b.height
        );
    }
    s.push_str("</g>");
    if !c.bars.is_empty() {
        let points = c
            .bars
            .iter()
            .map(|b| format!("{:.1},{:.1}", b.center, b.income_y))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = write!(s, r#"<polyline class="chart-line" points="{points}"/>"#);
        s.push_str(r#"<g class="chart-dots">"#);
        for b in &c.bars {
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="2.5"/>"#,
                b.center, b.income_y
            );
        }
        s.push_str("</g>");
    }
    s.push_str(r#"<g class="chart-label chart-months">"#);
    for b in &c.bars {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            b.center,
            PLOT_BOTTOM + 16.0,
            esc(&b.label)
        );
        if let Some(y) = &b.year {
            let _ = write!(
                s,
                r#"<text class="chart-year" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                b.center,
                PLOT_BOTTOM + 30.0,
                esc(y)
            );
        }
    }
    s.push_str("</g></svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months(from: &str, figures: &[(i64, i64)]) -> Vec<MonthStat> {
        let first = YearMonth::parse(from).unwrap();
        figures
            .iter()
            .zip(0..)
            .map(|(&(rentals, income), i)| MonthStat {
                month: first.plus(i),
                requests: rentals,
                rentals,
                income,
            })
            .collect()
    }

    fn finite(c: &Chart) -> bool {
        c.bars.iter().all(|b| {
            [b.x, b.y, b.width, b.height, b.center, b.income_y]
                .iter()
                .all(|v| v.is_finite())
        }) && c.ticks.iter().all(|t| t.y.is_finite())
    }

    #[test]
    fn round_axis_maxima() {
        assert_eq!(nice_ceiling(-5), 1);
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(2), 2);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(6), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(120_000), 200_000);
        assert_eq!(nice_ceiling(500_000_000), 500_000_000);
        // Near the top of i64 there is no rounder number: the value itself.
        assert_eq!(nice_ceiling(i64::MAX - 1), i64::MAX - 1);
    }

    #[test]
    fn amounts_in_man_and_eok() {
        assert_eq!(compact_amount(0), "0");
        assert_eq!(compact_amount(5_000), "5,000");
        assert_eq!(compact_amount(10_000), "1만");
        assert_eq!(compact_amount(25_000), "2.5만");
        assert_eq!(compact_amount(3_000_000), "300만");
        assert_eq!(compact_amount(50_000_000), "5,000만");
        assert_eq!(compact_amount(100_000_000), "1억");
        assert_eq!(compact_amount(250_000_000), "2.5억");
        assert_eq!(compact_amount(200_000_000_000), "2,000억");
    }

    #[test]
    fn no_rentals_draws_an_empty_chart_with_round_axes() {
        let stats = months("2024-04", &[(0, 0); 12]);
        let c = chart(&stats);
        assert!(finite(&c));
        assert_eq!(c.bars.len(), 12);
        assert!(c.bars.iter().all(|b| b.height == 0.0 && b.y == PLOT_BOTTOM));
        assert!(c.bars.iter().all(|b| b.income_y == PLOT_BOTTOM));
        assert_eq!((c.count_max, c.income_max), (1, INCOME_FLOOR));
        let labels: Vec<_> = c.ticks.iter().map(|t| t.count.as_str()).collect();
        assert_eq!(labels, ["0", "", "1"], "no half rental on the axis");
        let s = svg(&c, "제목", "설명");
        assert!(
            s.contains(r#"role="img""#) && s.contains("<title id=\"chart-title\">제목</title>")
        );
        assert!(!s.contains("<rect"), "no bar for no rental");
        assert_eq!(s.matches("<circle").count(), 12);
        // The first month and January carry their year.
        assert_eq!(c.bars[0].year.as_deref(), Some("2024년"));
        assert_eq!(c.bars[9].label, "1월");
        assert_eq!(c.bars[9].year.as_deref(), Some("2025년"));
        assert_eq!(c.bars[1].year, None);
    }

    #[test]
    fn one_month_fills_the_plot() {
        let c = chart(&months("2025-03", &[(3, 45_000)]));
        assert!(finite(&c));
        assert_eq!(c.bars.len(), 1);
        let b = &c.bars[0];
        assert_eq!(c.count_max, 5);
        assert_eq!(c.income_max, 50_000);
        assert!((b.height - (PLOT_BOTTOM - PLOT_TOP) * 0.6).abs() < 1e-9);
        assert!((b.center - (PLOT_LEFT + PLOT_RIGHT) / 2.0).abs() < 1e-9);
        assert!(b.width <= 28.0, "a lone bar stays a bar");
        assert!((b.income_y - (PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * 0.9)).abs() < 1e-9);
        let s = svg(&c, "t", "d");
        assert_eq!(s.matches("<rect").count(), 1);
    }

    #[test]
    fn big_numbers_stay_inside_the_plot() {
        let mut figures = vec![(0, 0); 12];
        figures[5] = (9_999, 87_840_000_000);
        figures[11] = (1, i64::MAX / 2);
        let c = chart(&months("2024-04", &figures));
        assert!(finite(&c));
        for b in &c.bars {
            assert!(b.y >= PLOT_TOP - 1e-9 && b.y <= PLOT_BOTTOM + 1e-9);
            assert!(b.income_y >= PLOT_TOP - 1e-9 && b.income_y <= PLOT_BOTTOM + 1e-9);
        }
        assert_eq!(c.count_max, 10_000);
        assert_eq!(c.ticks.last().unwrap().count, "10000");
        assert!(c.bars[5].height > c.bars[11].height);
        assert_eq!(c.income_max, 5_000_000_000_000_000_000);
        assert!(c.bars[11].income_y < c.bars[5].income_y);
        assert_eq!(c.ticks.last().unwrap().income, "50,000,000,000억");
        let s = svg(&c, "t", "d");
        assert!(!s.contains("NaN") && !s.contains("inf"));
    }

    #[test]
    fn text_in_the_svg_is_escaped_and_the_json_cannot_close_its_script() {
        let c = chart(&months("2025-01", &[(1, 1000)]));
        let s = svg(&c, "<b>&", "\"x\"");
        assert!(s.contains("&lt;b&gt;&amp;") && s.contains("&quot;x&quot;"));
        let j = script_json(&serde_json::json!({"title": "</script><b>&"}));
        assert!(!j.contains('<') && !j.contains('>') && !j.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back["title"], "</script><b>&");
    }
}
