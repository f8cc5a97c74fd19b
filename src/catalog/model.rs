use serde::{Deserialize, Serialize};

use crate::accounts::PublicUser;
use crate::clock::Ts;
use crate::regions::RegionRef;

pub const TITLE_MIN: usize = 2;
pub const TITLE_MAX: usize = 40;
pub const DESCRIPTION_MAX: usize = 2000;
pub const PRICE_MAX: i64 = 10_000_000;
pub const DEPOSIT_MAX: i64 = 10_000_000;
pub const MAX_IMAGES: usize = 10;
pub const RADIUS_MIN_KM: i64 = 1;
pub const RADIUS_MAX_KM: i64 = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    pub fn parse(s: &str) -> Section {
        if s == "borrow" {
            Section::Borrow
        } else {
            Section::Lend
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    Available,
    Rented,
    Hidden,
}

/// Why an admin took an item out of sight. While set, the item stays hidden and its owner
/// cannot change its status; only an admin's restore clears it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
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

#[derive(Clone, Debug, Serialize)]
pub struct ItemSummary {
    pub id: i64,
    pub section: Section,
    pub title: String,
    pub price: Option<i64>,
    pub price_unit: Option<PriceUnit>,
    pub deposit: i64,
    pub category: Category,
    pub region: RegionRef,
    pub thumbnail_url: Option<String>,
    pub status: ItemStatus,
    pub bookmark_count: i64,
    pub chat_count: i64,
    pub created_at: Ts,
    pub owner_id: i64,
}

#[derive(Clone, Debug, Serialize)]
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

#[derive(Clone, Debug, Serialize)]
pub struct Period {
    pub start_at: Ts,
    pub end_at: Ts,
}

#[derive(Clone, Debug, Serialize)]
pub struct ItemDetail {
    #[serde(flatten)]
    pub summary: ItemSummary,
    pub description: String,
    pub images: Vec<Image>,
    pub owner: PublicUser,
    pub bookmarked: bool,
    pub view_count: i64,
    pub booked: Vec<Period>,
    pub reviews: Vec<crate::rentals::model::Review>,
    /// The stored moderation; the wire field below is derived from it per viewer.
    #[serde(skip)]
    pub moderated: Option<Moderation>,
    /// `moderation` as the owner and admins see it (`null` or `"hidden"`); absent for others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderation: Option<Option<Moderation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    pub section: Section,
    pub category_id: i64,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub price: Option<i64>,
    #[serde(default)]
    pub price_unit: Option<PriceUnit>,
    #[serde(default)]
    pub deposit: Option<i64>,
    #[serde(default)]
    pub region_code: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    #[serde(default)]
    pub section: Option<Section>,
    #[serde(default)]
    pub category_id: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::http::extract_double_option")]
    pub price: Option<Option<i64>>,
    #[serde(default, deserialize_with = "crate::http::extract_double_option")]
    pub price_unit: Option<Option<PriceUnit>>,
    #[serde(default, deserialize_with = "crate::http::extract_double_option")]
    pub deposit: Option<Option<i64>>,
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub status: Option<ItemStatus>,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Recent,
    PriceAsc,
    PriceDesc,
    Popular,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Available,
    Rented,
    Hidden,
    /// Everything the caller may see (available and rented, plus own hidden ones).
    Any,
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
    pub limit: i64,
    pub offset: i64,
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
            limit: crate::domain::page::DEFAULT_PER_PAGE,
            offset: 0,
        }
    }
}

#[derive(Deserialize)]
pub struct ImageOrder {
    pub ids: Vec<i64>,
}

#[derive(Serialize)]
pub struct BookmarkState {
    pub bookmarked: bool,
    pub bookmark_count: i64,
}

/// An admin's new or changed category (every field optional on update).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub sort_order: Option<i64>,
}
