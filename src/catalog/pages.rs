//! Catalog's HTML pages: the home listing, an item, and the new/edit item form.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::accounts::service as accounts;
use crate::catalog::model::ItemFilter;
use crate::catalog::model::{Category, Image, ItemStatus, Section};
use crate::catalog::service as catalog;
use crate::domain::page::{Bounded, PageReq};
use crate::http::AppError;
use crate::state::AppState;
use crate::web::render::{pagination, parse_id, render, Chip, Layout, PageLink, PER_PAGE};
use crate::web::view::{self, Card, ReviewView};
use crate::web::{Ctx, QueryMap};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/items/new", get(new_item))
        .route("/items/{id}", get(item))
        .route("/items/{id}/edit", get(edit_item))
}

// ---------------------------------------------------------------- home

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    nickname: String,
    region: String,
    has_region: bool,
    section: String,
    category: String,
    q: String,
    range: String,
    sections: Vec<Chip>,
    verified_chip: Chip,
    cats: Vec<Chip>,
    ranges: Vec<Chip>,
    cards: Vec<Card>,
    total: i64,
    /// More than `total` match (counting stopped).
    total_more: bool,
    pages: Vec<PageLink>,
    prev: String,
    next: String,
}

const RANGES: &[(&str, &str, i64)] = &[
    ("mine", "내 동네", 2),
    ("near", "가까운 동네", 5),
    ("far", "먼 동네", 15),
    ("all", "전체", 0),
];

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    let q = s.finish();
    if q.is_empty() {
        "/".into()
    } else {
        format!("/?{q}")
    }
}

pub async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    p: QueryMap,
) -> Result<Response, Response> {
    let now = state.clock.now_ms();
    let me = match ctx.user {
        Some(u) => Some(
            accounts::private_user(&state, u.id)
                .await
                .map_err(|e| ctx.fail(e))?,
        ),
        None => None,
    };
    let categories = catalog::categories(&state).await.map_err(|e| ctx.fail(e))?;
    let section = Section::parse(p.str("section").unwrap_or_default());
    let category = p
        .str("category")
        .filter(|c| categories.iter().any(|k| k.slug == *c))
        .unwrap_or("")
        .to_string();
    let q: String = p.str("q").unwrap_or("").chars().take(100).collect();
    let region = me.as_ref().and_then(|m| m.public.region.clone());
    let default_range = if region.is_some() { "near" } else { "all" };
    let range = p
        .str("range")
        .filter(|r| RANGES.iter().any(|(k, _, _)| k == r))
        .filter(|_| region.is_some())
        .unwrap_or(default_range)
        .to_string();
    let page = p.page();
    let verified_only = p.str("verified").is_some_and(|v| v == "1" || v == "true");
    let radius = RANGES
        .iter()
        .find(|(k, _, _)| *k == range)
        .map(|r| r.2)
        .unwrap_or(0);
    let mut filter = ItemFilter {
        section: Some(section),
        verified: verified_only.then_some(true),
        category: Some(category.clone()).filter(|c| !c.is_empty()),
        q: Some(q.clone()).filter(|q| !q.is_empty()),
        ..Default::default()
    };
    if let (Some(r), true) = (&region, radius > 0) {
        filter.region = Some(r.code.clone());
        filter.radius_km = Bounded::new(radius).ok();
    }
    let req = PageReq {
        page,
        per_page: PER_PAGE,
    };
    let list = catalog::list(&state, ctx.user, &filter, req)
        .await
        .map_err(|e| ctx.fail(e))?;
    let range_param = if range == default_range {
        ""
    } else {
        range.as_str()
    };
    let link = |sec: Section, cat: &str, rng: &str, pg: i64| {
        let pg = if pg > 1 {
            pg.to_string()
        } else {
            String::new()
        };
        // Lending is the default: its links carry no section.
        let sec = match sec {
            Section::Lend => "",
            Section::Borrow => sec.as_str(),
        };
        query_string(&[
            ("section", sec),
            ("category", cat),
            ("q", &q),
            ("range", rng),
            ("verified", if verified_only { "1" } else { "" }),
            ("page", &pg),
        ])
    };
    let verified_chip = {
        let sec = match section {
            Section::Lend => "",
            Section::Borrow => section.as_str(),
        };
        Chip {
            label: "동네 인증 이웃만".into(),
            href: query_string(&[
                ("section", sec),
                ("category", &category),
                ("q", &q),
                ("range", range_param),
                ("verified", if verified_only { "" } else { "1" }),
            ]),
            active: verified_only,
        }
    };
    let sections = [(Section::Lend, "빌려드려요"), (Section::Borrow, "빌려요")]
        .iter()
        .map(|(k, label)| Chip {
            label: label.to_string(),
            href: link(*k, &category, range_param, 1),
            active: *k == section,
        })
        .collect();
    let mut cats = vec![Chip {
        label: "전체".into(),
        href: link(section, "", range_param, 1),
        active: category.is_empty(),
    }];
    cats.extend(categories.iter().map(|c| Chip {
        label: c.name.clone(),
        href: link(section, &c.slug, range_param, 1),
        active: c.slug == category,
    }));
    let ranges = RANGES
        .iter()
        .map(|(k, label, km)| Chip {
            label: if *km > 0 {
                format!("{label} {km}km")
            } else {
                label.to_string()
            },
            href: link(
                section,
                &category,
                if *k == default_range { "" } else { k },
                1,
            ),
            active: *k == range,
        })
        .collect();
    // Past the counting cap there may be more pages than the total says: keep 다음 open.
    let known = if list.total_exact {
        list.total
    } else {
        list.total.max(page * crate::web::render::PER_PAGE + 1)
    };
    let (pages, prev, next) = pagination(known, page, |n| link(section, &category, range_param, n));
    let page = HomePage {
        l: Layout::new(&ctx, "이거대여 · 우리 동네 물건 빌리기"),
        nickname: me
            .as_ref()
            .map(|m| m.public.nickname.clone())
            .unwrap_or_default(),
        region: view::region_name(&region),
        has_region: region.is_some(),
        section: section.as_str().to_string(),
        category,
        q: q.clone(),
        range: range_param.to_string(),
        sections,
        verified_chip,
        cats,
        ranges,
        cards: list.items.iter().map(|s| view::card(now, s)).collect(),
        total: list.total,
        total_more: !list.total_exact,
        pages,
        prev,
        next,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- item

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    l: Layout,
    id: i64,
    title: String,
    borrow: bool,
    category: String,
    category_slug: String,
    region: String,
    ago: String,
    price: String,
    price_value: i64,
    unit_ms: i64,
    deposit: String,
    description: String,
    images: Vec<Image>,
    owner_id: i64,
    owner: String,
    owner_avatar: String,
    owner_region: String,
    owner_score: String,
    owner_deleted: bool,
    owner_verified: bool,
    owner_thermo: view::Thermo,
    bookmarked: bool,
    bookmarks: i64,
    chats: i64,
    views: i64,
    status: String,
    hidden: bool,
    /// An admin hid it: the owner's show/hide toggle gives way to an explanation.
    moderated: bool,
    is_owner: bool,
    booked: Vec<String>,
    /// The booked periods as JSON (`[{start_at, end_at}]`) for the calendar.
    booked_json: String,
    /// The lending rules, 0 when there is none.
    min_days: i64,
    max_days: i64,
    /// The rules in words (empty without any).
    rule: String,
    reviews: Vec<ReviewView>,
}

pub async fn item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let id = parse_id(&ctx, &id)?;
    let now = state.clock.now_ms();
    let d = catalog::detail_for_viewer(&state, ctx.user, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let s = &d.summary;
    let card = view::card(now, s);
    let page = ItemPage {
        l: Layout::new(&ctx, &s.title),
        id: s.id,
        title: s.title.clone(),
        borrow: s.section == Section::Borrow,
        category: s.category.name.clone(),
        category_slug: s.category.slug.clone(),
        region: view::short_region(&s.region.name),
        ago: view::ago(now, s.created_at.0),
        price: card.price,
        price_value: s.price.unwrap_or(-1),
        unit_ms: s.price_unit.map(|u| u.millis()).unwrap_or(0),
        deposit: if s.deposit > 0 {
            format!("{}원", view::won(s.deposit))
        } else {
            String::new()
        },
        description: d.description.clone(),
        images: d.images.clone(),
        owner_id: d.owner.id,
        owner: d.owner.nickname.clone(),
        owner_avatar: d.owner.avatar_url.clone().unwrap_or_default(),
        owner_region: view::region_name(&d.owner.region),
        owner_score: view::score_text(&d.owner),
        owner_deleted: d.owner.deleted,
        owner_verified: d.owner.region_verified,
        owner_thermo: view::thermo(d.owner.trust),
        bookmarked: d.bookmarked,
        bookmarks: s.bookmark_count,
        chats: s.chat_count,
        views: d.view_count,
        status: card.status.to_string(),
        hidden: s.status == ItemStatus::Hidden,
        moderated: d.moderation.flatten().is_some(),
        is_owner: ctx.user.is_some_and(|u| u.id == d.owner.id),
        booked: d
            .booked
            .iter()
            .map(|p| {
                format!(
                    "{} – {}",
                    view::datetime(p.start_at.0),
                    view::datetime(p.end_at.0)
                )
            })
            .collect(),
        booked_json: serde_json::to_string(&d.booked).unwrap_or_else(|_| "[]".into()),
        min_days: d.min_days.unwrap_or(0),
        max_days: d.max_days.unwrap_or(0),
        rule: match (d.min_days, d.max_days) {
            (Some(min), Some(max)) if min == max => {
                format!("이 물건은 {min}일 동안 빌릴 수 있어요")
            }
            (Some(min), Some(max)) => format!("최소 {min}일, 최대 {max}일까지 빌릴 수 있어요"),
            (Some(min), None) => format!("최소 {min}일부터 빌릴 수 있어요"),
            (None, Some(max)) => format!("최대 {max}일까지 빌릴 수 있어요"),
            (None, None) => String::new(),
        },
        reviews: d.reviews.iter().map(|r| view::review(now, r)).collect(),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- item form

#[derive(Template)]
#[template(path = "item_form.html")]
struct ItemFormPage {
    l: Layout,
    editing: bool,
    id: i64,
    section: String,
    category_id: i64,
    title: String,
    description: String,
    price: String,
    price_unit: String,
    deposit: String,
    min_days: String,
    max_days: String,
    region_code: String,
    region_name: String,
    cats: Vec<Category>,
    images: Vec<Image>,
    moderated: bool,
}

pub async fn new_item(
    State(state): State<AppState>,
    ctx: Ctx,
    p: QueryMap,
) -> Result<Response, Response> {
    let (_, me) = ctx.me(&state).await?;
    let cats = catalog::categories(&state).await.map_err(|e| ctx.fail(e))?;
    let (region_code, region_name) = view::picker_fields(&me.public.region);
    let page = ItemFormPage {
        l: Layout::new(&ctx, "물품 등록"),
        editing: false,
        id: 0,
        section: Section::parse(p.str("section").unwrap_or_default())
            .as_str()
            .into(),
        category_id: 0,
        title: String::new(),
        description: String::new(),
        price: String::new(),
        price_unit: "day".into(),
        deposit: String::new(),
        min_days: String::new(),
        max_days: String::new(),
        region_code,
        region_name,
        cats,
        images: Vec::new(),
        moderated: false,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

pub async fn edit_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let id = parse_id(&ctx, &id)?;
    let d = catalog::detail(&state, Some(user), id, false)
        .await
        .map_err(|e| ctx.fail(e))?;
    if d.owner.id != user.id {
        return Err(ctx.fail(AppError::Forbidden("내 물품만 고칠 수 있어요".into())));
    }
    let cats = catalog::categories(&state).await.map_err(|e| ctx.fail(e))?;
    let s = &d.summary;
    let page = ItemFormPage {
        l: Layout::new(&ctx, "물품 수정"),
        editing: true,
        id,
        section: s.section.as_str().into(),
        category_id: s.category.id,
        title: s.title.clone(),
        description: d.description.clone(),
        price: s.price.map(|p| p.to_string()).unwrap_or_default(),
        price_unit: s
            .price_unit
            .map(|u| u.as_str().to_string())
            .unwrap_or_default(),
        deposit: if s.deposit > 0 {
            s.deposit.to_string()
        } else {
            String::new()
        },
        min_days: d.min_days.map(|n| n.to_string()).unwrap_or_default(),
        max_days: d.max_days.map(|n| n.to_string()).unwrap_or_default(),
        region_code: s.region.code.clone(),
        region_name: s.region.name.clone(),
        cats,
        images: d.images.clone(),
        moderated: d.moderation.flatten().is_some(),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}
