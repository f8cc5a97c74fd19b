//! Small view models and Korean formatting for templates (money, time ago, dates in KST).

use crate::accounts::PublicUser;
use crate::catalog::model::{ItemStatus, ItemSummary, PriceUnit, Section};
use crate::clock::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::http::extract::AuthUser;
use crate::rentals::model::{Action, Rental, RentalStatus, Review};

/// `12345` → `12,345`.
pub fn won(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

pub fn unit_ko(unit: PriceUnit) -> &'static str {
    match unit {
        PriceUnit::Hour => "시간",
        PriceUnit::Day => "일",
        PriceUnit::Week => "주",
        PriceUnit::Month => "월",
    }
}

pub fn price_line(price: Option<i64>, unit: Option<PriceUnit>) -> String {
    match (price, unit) {
        (None, _) => "가격 협의".into(),
        (Some(0), _) => "무료 나눔".into(),
        (Some(p), Some(u)) => format!("{}원 / {}", won(p), unit_ko(u)),
        (Some(p), None) => format!("{}원", won(p)),
    }
}

pub fn ago(now: i64, then: i64) -> String {
    let d = (now - then).max(0);
    if d < MINUTE_MS {
        "방금 전".into()
    } else if d < HOUR_MS {
        format!("{}분 전", d / MINUTE_MS)
    } else if d < DAY_MS {
        format!("{}시간 전", d / HOUR_MS)
    } else if d < 30 * DAY_MS {
        format!("{}일 전", d / DAY_MS)
    } else if d < 365 * DAY_MS {
        format!("{}달 전", d / (30 * DAY_MS))
    } else {
        format!("{}년 전", d / (365 * DAY_MS))
    }
}

/// `11월 24일 18:30` in Korean time.
pub fn datetime(ms: i64) -> String {
    let t = crate::clock::kst(ms);
    format!(
        "{}월 {}일 {:02}:{:02}",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `2026년 11월 24일`.
pub fn date(ms: i64) -> String {
    let t = crate::clock::kst(ms);
    format!("{}년 {}월 {}일", t.year(), u8::from(t.month()), t.day())
}

pub fn region_name(r: &Option<crate::regions::RegionRef>) -> String {
    r.as_ref()
        .map(|r| short_region(&r.name))
        .unwrap_or_default()
}

/// A region picker's starting values: the code and the full name, empty without a region.
pub fn picker_fields(r: &Option<crate::regions::RegionRef>) -> (String, String) {
    r.as_ref()
        .map(|r| (r.code.clone(), r.name.clone()))
        .unwrap_or_default()
}

/// The last word of a region name (`서울특별시 마포구 서교동` → `서교동`).
pub fn short_region(name: &str) -> String {
    name.rsplit(' ').next().unwrap_or(name).to_string()
}

pub fn score_text(u: &PublicUser) -> String {
    match u.score {
        Some(s) => format!("매너 점수 {s}점 · 후기 {}개", u.review_count),
        None => "아직 후기가 없어요".into(),
    }
}

pub struct Card {
    pub id: i64,
    pub title: String,
    pub thumb: String,
    pub price: String,
    pub meta: String,
    pub borrow: bool,
    pub status: &'static str,
    pub bookmarks: i64,
    pub chats: i64,
    /// The owner's 동네 is verified (listings only).
    pub verified: bool,
}

pub fn card(now: i64, s: &ItemSummary) -> Card {
    Card {
        verified: s.owner_verified == Some(true),
        id: s.id,
        title: s.title.clone(),
        thumb: s.thumbnail_url.clone().unwrap_or_default(),
        price: price_line(s.price, s.price_unit),
        meta: format!(
            "{} · {}",
            short_region(&s.region.name),
            ago(now, s.created_at.0)
        ),
        borrow: s.section == Section::Borrow,
        status: match s.status {
            ItemStatus::Available => "",
            ItemStatus::Rented => "대여 중",
            ItemStatus::Hidden => "숨김",
        },
        bookmarks: s.bookmark_count,
        chats: s.chat_count,
    }
}

pub struct ReviewView {
    pub author_id: i64,
    pub author: String,
    pub avatar: String,
    pub stars: String,
    pub rating: i64,
    pub content: String,
    pub when: String,
}

pub fn review(now: i64, r: &Review) -> ReviewView {
    ReviewView {
        author_id: r.author.id,
        author: r.author.nickname.clone(),
        avatar: r.author.avatar_url.clone().unwrap_or_default(),
        stars: "★".repeat(r.rating.clamp(0, 5) as usize)
            + &"☆".repeat((5 - r.rating).clamp(0, 5) as usize),
        rating: r.rating,
        content: r.content.clone(),
        when: ago(now, r.created_at.0),
    }
}

pub struct ActionView {
    pub action: &'static str,
    pub label: &'static str,
    pub class: &'static str,
}

pub struct RentalView {
    pub id: i64,
    pub item_id: i64,
    pub item_title: String,
    pub thumb: String,
    pub other_id: i64,
    pub other: String,
    pub role: &'static str,
    pub period: String,
    pub total: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub actions: Vec<ActionView>,
    pub can_review: bool,
}

pub fn status_label(r: &Rental) -> (&'static str, &'static str) {
    match r.status {
        RentalStatus::Requested => ("요청 중", "pending"),
        RentalStatus::Accepted if r.overdue => ("반납 지연", "warn"),
        RentalStatus::Accepted if r.in_progress => ("대여 중", "warn"),
        RentalStatus::Accepted => ("대여 예정", "ok"),
        RentalStatus::Returned => ("반납 완료", "done"),
        RentalStatus::Rejected => ("거절됨", "muted"),
        RentalStatus::Cancelled => ("취소됨", "muted"),
        RentalStatus::Expired => ("만료됨", "muted"),
    }
}

/// The actions the rentals domain gave the caller on `r` (its `actions`), as buttons. Reviewing,
/// extending, handovers, the deposit and disputes have forms of their own, so they are not here.
pub fn actions(r: &Rental) -> Vec<ActionView> {
    let view = |action, label, class| ActionView {
        action,
        label,
        class,
    };
    r.actions
        .iter()
        .filter_map(|a| match a {
            Action::Accept => Some(view("accept", "수락", "primary")),
            Action::Reject => Some(view("reject", "거절", "danger")),
            Action::Cancel if r.status == RentalStatus::Requested => {
                Some(view("cancel", "요청 취소", ""))
            }
            Action::Cancel => Some(view("cancel", "대여 취소", "")),
            Action::Return => Some(view("return", "반납 확인", "primary")),
            // These have forms of their own on the rental page.
            Action::Review
            | Action::Extend
            | Action::HandoverPickup
            | Action::HandoverReturn
            | Action::Deposit
            | Action::Dispute => None,
        })
        .collect()
}

/// A rental's period, start – end, in Korean time.
pub fn period(r: &Rental) -> String {
    format!("{} – {}", datetime(r.start_at.0), datetime(r.end_at.0))
}

/// A rental's total: 무료, the amount, or 가격 협의 when the item has no price.
pub fn total_price(total: Option<i64>) -> String {
    match total {
        Some(0) => "무료".into(),
        Some(p) => format!("{}원", won(p)),
        None => "가격 협의".into(),
    }
}

pub fn rental(me: AuthUser, r: &Rental) -> RentalView {
    let i_lend = r.lender.id == me.id;
    let other = if i_lend { &r.borrower } else { &r.lender };
    let (status, status_class) = status_label(r);
    RentalView {
        id: r.id,
        item_id: r.item.id,
        item_title: r.item.title.clone(),
        thumb: r.item.thumbnail_url.clone().unwrap_or_default(),
        other_id: other.id,
        other: other.nickname.clone(),
        role: if i_lend { "빌려줘요" } else { "빌려요" },
        period: period(r),
        total: total_price(r.total_price),
        status,
        status_class,
        actions: actions(r),
        can_review: r.actions.contains(&Action::Review),
    }
}

/// 이웃 온도 as pages draw it: the degrees, a bar filled to that point (SVG, so the page's CSP
/// needs no inline style) and a colour class.
pub struct Thermo {
    pub text: String,
    pub width: String,
    pub class: &'static str,
}

pub fn thermo(trust: f64) -> Thermo {
    Thermo {
        text: format!("{trust:.1}°C"),
        width: format!("{:.1}", trust.clamp(0.0, 100.0)),
        class: if trust < 30.0 {
            "cold"
        } else if trust < 40.0 {
            "mild"
        } else {
            "warm"
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_money_and_prices() {
        assert_eq!(won(0), "0");
        assert_eq!(won(1000), "1,000");
        assert_eq!(won(1234567), "1,234,567");
        assert_eq!(price_line(None, None), "가격 협의");
        assert_eq!(price_line(Some(0), Some(PriceUnit::Day)), "무료 나눔");
        assert_eq!(
            price_line(Some(10000), Some(PriceUnit::Day)),
            "10,000원 / 일"
        );
    }

    #[test]
    fn time_ago_in_korean() {
        assert_eq!(ago(10 * HOUR_MS, 10 * HOUR_MS), "방금 전");
        assert_eq!(ago(10 * HOUR_MS, 7 * HOUR_MS), "3시간 전");
        assert_eq!(datetime(0), "1월 1일 09:00");
    }
}
