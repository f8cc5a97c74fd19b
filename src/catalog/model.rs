use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::PublicUser;
use crate::clock::Ts;
use crate::domain::page::{Bounded, Id};
use crate::regions::RegionRef;

pub const TITLE_MIN: usize = 2;
pub const TITLE_MAX: usize = 40;
pub const DESCRIPTION_MAX: usize = 2000;
pub const PRICE_MAX: i64 = 10_000_000;
pub const DEPOSIT_MAX: i64 = 10_000_000;
pub const MAX_IMAGES: usize = 10;
pub const RADIUS_MIN_KM: i64 = 1;
pub const RADIUS_MAX_KM: i64 = 50;

/// 빌려드려요 (`lend`) 또는 빌려요 (`borrow`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Lend,
    Borrow,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Lend => "lend",
            Section::Borrow => "borrow",
        }
    }
    /// A stored or page value; lending is the default for anything else.
    pub fn parse(s: &str) -> Section {
        match s {
            "borrow" => Section::Borrow,
            _ => Section::Lend,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PriceUnit {
    Hour,
    Day,
    Week,
    Month,
}

impl PriceUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceUnit::Hour => "hour",
            PriceUnit::Day => "day",
            PriceUnit::Week => "week",
            PriceUnit::Month => "month",
        }
    }
    pub fn parse(s: &str) -> Option<PriceUnit> {
        Some(match s {
            "hour" => PriceUnit::Hour,
            "day" => PriceUnit::Day,
            "week" => PriceUnit::Week,
            "month" => PriceUnit::Month,
            _ => return None,
        })
    }
    /// Length of one unit in milliseconds (a month counts as 30 days).
    pub fn millis(self) -> i64 {
        use crate::clock::{DAY_MS, HOUR_MS};
        match self {
            PriceUnit::Hour => HOUR_MS,
            PriceUnit::Day => DAY_MS,
            PriceUnit::Week => 7 * DAY_MS,
            PriceUnit::Month => 30 * DAY_MS,
        }
    }
}

/// Visibility as written on the wire; stored as two flags so a rental never clobbers a hide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    Available,
    Rented,
    Hidden,
}

/// Why an admin took an item out of sight. While set, the item stays hidden and its owner
/// cannot change its status; only an admin's restore clears it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Moderation {
    Hidden,
}

impl Moderation {
    pub fn as_str(self) -> &'static str {
        match self {
            Moderation::Hidden => "hidden",
        }
    }

    /// The stored column. Any value counts as moderated, so a value this version does not know
    /// (written by a newer one) keeps the item hidden instead of freeing it.
    pub fn from_column(value: Option<&str>) -> Option<Moderation> {
        value.map(|_| Moderation::Hidden)
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub owner_id: i64,
    pub section: String,
    pub category_id: i64,
    pub category_slug: String,
    pub category_name: String,
    pub title: String,
    pub description: String,
    pub price: Option<i64>,
    pub price_unit: Option<String>,
    pub deposit: i64,
    pub region_code: String,
    pub hidden: i64,
    pub rented: i64,
    pub listed: i64,
    pub thumb_key: Option<String>,
    pub bookmark_count: i64,
    pub chat_count: i64,
    pub view_count: i64,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
    pub moderation: Option<String>,
    pub min_days: Option<i64>,
    pub max_days: Option<i64>,
}

impl ItemRow {
    pub fn moderation(&self) -> Option<Moderation> {
        Moderation::from_column(self.moderation.as_deref())
    }

    pub fn status(&self) -> ItemStatus {
        if self.hidden != 0 {
            ItemStatus::Hidden
        } else if self.rented != 0 {
            ItemStatus::Rented
        } else {
            ItemStatus::Available
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ItemSummary {
    pub id: i64,
    pub section: Section,
    pub title: String,
    /// 원 (KRW); null이면 가격 협의 / won, null when negotiable.
    pub price: Option<i64>,
    pub price_unit: Option<PriceUnit>,
    /// 보증금 (원) / deposit in won.
    pub deposit: i64,
    pub category: Category,
    pub region: RegionRef,
    pub thumbnail_url: Option<String>,
    pub status: ItemStatus,
    pub bookmark_count: i64,
    pub chat_count: i64,
    pub created_at: Ts,
    pub owner_id: i64,
    /// 올린 이웃이 동네 인증을 했는지 (목록에만 있어요) / whether the owner's 동네 is verified;
    /// present in listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_verified: Option<bool>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Image {
    pub id: i64,
    pub url: String,
    pub thumbnail_url: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ImageRow {
    pub id: i64,
    pub item_id: i64,
    pub position: i64,
    pub key: String,
    pub thumb_key: String,
}

/// 예약된 기간 / a booked period.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Period {
    pub start_at: Ts,
    pub end_at: Ts,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ItemDetail {
    #[serde(flatten)]
    pub summary: ItemSummary,
    pub description: String,
    pub images: Vec<Image>,
    pub owner: PublicUser,
    pub bookmarked: bool,
    pub view_count: i64,
    /// 최소·최대 대여 일수 (정했다면) / the item's borrowing rules, when set.
    pub min_days: Option<i64>,
    pub max_days: Option<i64>,
    pub booked: Vec<Period>,
    pub reviews: Vec<crate::accounts::model::Review>,
    /// The stored moderation; the wire field below is derived from it per viewer.
    #[serde(skip)]
    #[schema(ignore)]
    pub moderated: Option<Moderation>,
    /// `moderation` as the owner and admins see it (`null` or `"hidden"`); absent for others.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Moderation>)]
    pub moderation: Option<Option<Moderation>>,
}

/// 새 물품 / a new listing. Without `region_code` the owner's 동네 is used.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"section": "lend", "category_id": 1, "title": "캠핑 의자 2개",
    "description": "접이식이에요. 주말에 빌려 드려요.", "price": 5000, "price_unit": "day",
    "deposit": 20000, "region_code": "1144069000"}))]
pub struct NewItem {
    pub section: Section,
    /// `GET /categories`의 id
    #[schema(minimum = 1)]
    pub category_id: i64,
    /// 2–40자 / 2–40 characters.
    #[schema(min_length = 2, max_length = 40)]
    pub title: String,
    /// 2000자까지 / at most 2000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// 0–10,000,000원; 없으면 가격 협의 (그때 price_unit도 없어야 해요).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000000)]
    pub price: Option<i64>,
    /// price가 있으면 필요해요 / required with a price.
    #[serde(default)]
    pub price_unit: Option<PriceUnit>,
    /// 0–10,000,000원
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000000)]
    pub deposit: Option<i64>,
    #[serde(default)]
    pub region_code: Option<String>,
    /// 최소 대여 일수 (빌려드려요만, 1–365) / the shortest rental in days (lend items).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 365)]
    pub min_days: Option<i64>,
    /// 최대 대여 일수 (빌려드려요만, 1–365, min_days 이상) / the longest rental in days.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 365)]
    pub max_days: Option<i64>,
}

/// 바꿀 필드만 / only the fields to change; `null` clears price, price_unit or deposit.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "캠핑 의자 3개", "price": 6000, "price_unit": "day"}))]
pub struct ItemPatch {
    #[serde(default)]
    pub section: Option<Section>,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub category_id: Option<i64>,
    #[serde(default)]
    #[schema(min_length = 2, max_length = 40)]
    pub title: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::http::extract_double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10000000)]
    pub price: Option<Option<i64>>,
    #[serde(default, deserialize_with = "crate::http::extract_double_option")]
    #[schema(value_type = Option<PriceUnit>)]
    pub price_unit: Option<Option<PriceUnit>>,
    #[serde(default, deserialize_with = "crate::http::extract_double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10000000)]
    pub deposit: Option<Option<i64>>,
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub status: Option<ItemStatus>,
    /// `null`이면 규칙을 지워요 / `null` clears the rule.
    #[serde(default, deserialize_with = "crate::http::extract_double_option")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 365)]
    pub min_days: Option<Option<i64>>,
    #[serde(default, deserialize_with = "crate::http::extract_double_option")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 365)]
    pub max_days: Option<Option<i64>>,
}

/// The fields of an item after create or patch, validated as a whole.
#[derive(Clone, Debug)]
pub struct ItemFields {
    pub section: Section,
    pub category_id: i64,
    pub title: String,
    pub description: String,
    pub price: Option<i64>,
    pub price_unit: Option<PriceUnit>,
    pub deposit: i64,
    pub region_code: String,
    pub hidden: bool,
    pub min_days: Option<i64>,
    pub max_days: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Recent,
    PriceAsc,
    PriceDesc,
    Popular,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    #[default]
    Available,
    Rented,
    Hidden,
    /// Everything the caller may see (available and rented, plus own hidden ones).
    Any,
}

/// The filters of `GET /items` as sent; `catalog::service::list_query` resolves them.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemFilter {
    #[param(inline)]
    pub section: Option<Section>,
    /// 카테고리 id 또는 slug / a category id or slug.
    #[param(example = "camping")]
    pub category: Option<String>,
    /// 검색어 (200자까지) / search words, matched in title and description.
    #[param(max_length = 200, example = "캠핑 의자")]
    pub q: Option<String>,
    /// 행정구역 코드: 동이면 그 동, 구·시도면 그 안 전부 / a region code.
    #[param(example = "1144069000")]
    pub region: Option<String>,
    /// region 둘레 km (region 필요) / radius around `region`, which it needs.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 50)]
    pub radius_km: Option<Bounded<RADIUS_MIN_KM, RADIUS_MAX_KM>>,
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10000000)]
    pub min_price: Option<Bounded<0, PRICE_MAX>>,
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10000000)]
    pub max_price: Option<Bounded<0, PRICE_MAX>>,
    /// 기본 available; hidden과 any는 자기 물품(또는 관리자)만 / `hidden` and `any` add own hidden items.
    #[param(inline)]
    pub status: Option<StatusFilter>,
    /// 이 사용자의 물품만 / only this user's items.
    #[param(value_type = Option<i64>, minimum = 1)]
    pub owner: Option<Id>,
    /// true: 동네 인증한 이웃의 물품만 / only owners whose 동네 is verified.
    pub verified: Option<bool>,
    #[param(inline)]
    pub sort: Option<Sort>,
}

impl ItemFilter {
    /// Whether the result is the same for every viewer (only public statuses asked).
    pub fn is_public(&self) -> bool {
        matches!(
            self.status,
            None | Some(StatusFilter::Available) | Some(StatusFilter::Rented)
        )
    }
}

/// Whether every word occurs in the title or the description, all of them lowercased: what `q`
/// means (FTS5 trigram, its LIKE fallback and ILIKE all answer it), checked in memory by the
/// listing index and by keyword alerts.
pub fn has_words(words: &[String], title: &str, description: &str) -> bool {
    words
        .iter()
        .all(|w| title.contains(w.as_str()) || description.contains(w.as_str()))
}

/// Listings count their matches up to this many (and say when there are more), so a page costs
/// the same however many items match.
pub const COUNT_UP_TO: i64 = 1_000;

/// A listing's `(total, total_exact)` for a viewer: `matched` is the open listing's count
/// (stopped at `COUNT_UP_TO + 1`), `blocked` how many of those are blocked owners' items. Past
/// the cap the total is a lower bound.
pub fn listing_total(matched: i64, blocked: i64) -> (i64, bool) {
    let exact = matched <= COUNT_UP_TO;
    ((matched.min(COUNT_UP_TO) - blocked).max(0), exact)
}

/// A validated listing query.
#[derive(Clone, Debug)]
pub struct ListQuery {
    pub section: Option<Section>,
    pub category_id: Option<i64>,
    pub words: Vec<String>,
    /// Items whose region code is one of these (radius search) …
    pub region_codes: Option<Vec<String>>,
    /// … or starts with this prefix (a 시군구 or 시도).
    pub region_prefix: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub status: StatusFilter,
    pub owner_id: Option<i64>,
    pub sort: Sort,
    pub viewer: Option<i64>,
    pub viewer_is_admin: bool,
    /// Owners in a block with the viewer: their items are left out in SQL, so pages stay full
    /// and `total` stays right.
    pub exclude_owners: std::sync::Arc<[i64]>,
    /// Only owners whose 동네 was verified at or after this time (ms).
    pub verified_since: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

impl ListQuery {
    /// A price range leaves out items without a price (so price sorts need no NULLs-last term).
    pub fn price_ranged(&self) -> bool {
        self.min_price.is_some() || self.max_price.is_some()
    }

    /// The same listing for a viewer without blocks: what counts and pages are shared by.
    pub fn open(&self) -> ListQuery {
        ListQuery {
            exclude_owners: std::sync::Arc::from([]),
            ..self.clone()
        }
    }
}

impl Default for ListQuery {
    /// The first page of available items, newest first, with no filter (what `GET /items` means).
    fn default() -> Self {
        ListQuery {
            section: None,
            category_id: None,
            words: Vec::new(),
            region_codes: None,
            region_prefix: None,
            min_price: None,
            max_price: None,
            status: StatusFilter::Available,
            owner_id: None,
            sort: Sort::Recent,
            viewer: None,
            viewer_is_admin: false,
            exclude_owners: std::sync::Arc::from([]),
            verified_since: None,
            limit: crate::domain::page::DEFAULT_PER_PAGE,
            offset: 0,
        }
    }
}

/// 사진 id 전부, 새 순서대로 / every image id of the item, in the new order.
#[derive(Deserialize, ToSchema)]
pub struct ImageOrder {
    pub ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct BookmarkState {
    pub bookmarked: bool,
    pub bookmark_count: i64,
}

/// An admin's new or changed category (every field optional on update).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "instruments", "name": "악기", "sort_order": 55}))]
pub struct CategoryInput {
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub sort_order: Option<i64>,
}

/// The longest `min_days`/`max_days` may be.
pub const RULE_DAYS_MAX: i64 = 365;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_exact_up_to_the_cap_and_a_lower_bound_past_it() {
        assert_eq!(listing_total(0, 0), (0, true));
        assert_eq!(listing_total(COUNT_UP_TO, 0), (COUNT_UP_TO, true));
        assert_eq!(listing_total(COUNT_UP_TO, 3), (COUNT_UP_TO - 3, true));
        // Counting stopped at the cap + 1: more than the cap match.
        assert_eq!(listing_total(COUNT_UP_TO + 1, 0), (COUNT_UP_TO, false));
        // Blocked matches come off even then: still a true lower bound.
        assert_eq!(
            listing_total(COUNT_UP_TO + 1, 20),
            (COUNT_UP_TO - 20, false)
        );
        assert_eq!(listing_total(2, 5), (0, true), "never negative");
    }
}
